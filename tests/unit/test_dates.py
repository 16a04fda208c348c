from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.dates import When, is_valid_timezone, parse_when, resolve_timezone, warm_up
from core.errors import InvalidField

PARIS = "Europe/Paris"
THURSDAY = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 15:00 in Paris
FRIDAY = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 15:00 in Paris
EARLY_MARCH = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EXAMPLE = datetime(2026, 12, 4, 19, 30)  # a week from FRIDAY at 19:30 in Paris: what refusals offer


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def start(text: str, tz_name: str = PARIS, now: datetime | None = FRIDAY) -> datetime:
    when = parse_when(text, tz_name, now=now)
    assert when.ends_at is None
    return when.starts_at


def rejection(text: str, tz_name: str = PARIS, now: datetime = FRIDAY) -> InvalidField:
    with pytest.raises(InvalidField) as caught:
        parse_when(text, tz_name, now=now)
    assert caught.value.field == "when"
    return caught.value


def local(instant: datetime, tz_name: str) -> str:
    return f"{instant.astimezone(ZoneInfo(tz_name)):%Y-%m-%d %H:%M %Z}"


# Natural language and numeric forms


def test_tomorrow_with_an_evening_time_is_read_in_the_chats_zone():
    assert start("tomorrow 7pm", PARIS, now=THURSDAY) == utc(2026, 11, 27, 18, 0)


@pytest.mark.parametrize("text", ["2026-12-05 19:30", "2026-12-05T19:30", "5 Dec 2026 19:30", "dec 5 7:30pm"])
def test_iso_and_written_dates_with_a_time_are_understood(text):
    assert start(text, PARIS, now=FRIDAY) == utc(2026, 12, 5, 18, 30)


@pytest.mark.parametrize("text", ["05.12.2026 19:30", "05/12/2026 19:30", "05-12-2026 19:30"])
def test_slashed_and_dotted_numeric_dates_are_day_first(text):
    assert start(text, PARIS, now=FRIDAY) == utc(2026, 12, 5, 18, 30)


def test_iso_dates_stay_year_month_day_despite_day_first_order():
    assert start("2027-05-12 10:00", PARIS, now=FRIDAY) == utc(2027, 5, 12, 8, 0)


def test_in_three_days_at_noon_is_understood():
    assert start("in 3 days at noon", PARIS, now=FRIDAY) == utc(2026, 11, 30, 11, 0)


def test_relative_hours_count_from_now_to_the_minute():
    now = utc(2026, 11, 27, 14, 0, 37)
    assert start("in 3 hours", PARIS, now=now) == utc(2026, 11, 27, 17, 0)
    assert start("in 45 minutes", PARIS, now=now) == utc(2026, 11, 27, 14, 45)


def test_next_friday_said_on_a_friday_is_a_week_later():
    assert start("next fri 19:30", PARIS, now=FRIDAY) == utc(2026, 12, 4, 18, 30)


def test_tonight_with_a_time_is_today():
    assert start("tonight 8pm", PARIS, now=FRIDAY) == utc(2026, 11, 27, 19, 0)


def test_newlines_and_tabs_count_as_spaces():
    assert start("tomorrow\n\t19:30", PARIS, now=FRIDAY) == utc(2026, 11, 28, 18, 30)


def test_an_explicit_offset_or_zone_in_the_text_wins_over_the_chats_zone():
    assert start("2026-12-05T19:30Z", PARIS, now=FRIDAY) == utc(2026, 12, 5, 19, 30)
    assert start("2026-12-05 19:30 +05:00", PARIS, now=FRIDAY) == utc(2026, 12, 5, 14, 30)


def test_the_result_is_aware_and_in_utc_with_no_end_when_none_was_given():
    when = parse_when("tomorrow 19:30", PARIS, now=FRIDAY)
    assert when == When(utc(2026, 11, 28, 18, 30), None)
    assert when.starts_at.tzinfo is UTC


def test_now_defaults_to_the_current_time():
    assert start("tomorrow 19:30", "UTC", now=None) > datetime.now(UTC)


# 12-hour clocks


def test_twelve_pm_is_noon():
    assert start("tomorrow 12 PM", "UTC", now=FRIDAY) == utc(2026, 11, 28, 12, 0)
    assert start("12pm", "UTC", now=utc(2026, 11, 27, 9, 0)) == utc(2026, 11, 27, 12, 0)


def test_twelve_am_is_midnight():
    assert start("tomorrow 12 AM", "UTC", now=FRIDAY) == utc(2026, 11, 28, 0, 0)
    assert start("12 AM", "UTC", now=FRIDAY) == utc(2026, 11, 28, 0, 0)


def test_twelve_thirty_am_is_half_past_midnight():
    assert start("12:30am", "UTC", now=FRIDAY) == utc(2026, 11, 28, 0, 30)


def test_seven_thirty_pm_is_nineteen_thirty():
    assert start("sat 7.30pm", "UTC", now=FRIDAY) == utc(2026, 11, 28, 19, 30)


# Weekdays and times without a date


def test_weekday_with_a_time_later_today_means_today():
    assert start("Fri 19:30", PARIS, now=FRIDAY) == utc(2026, 11, 27, 18, 30)
    assert start("friday at 7pm", PARIS, now=FRIDAY) == utc(2026, 11, 27, 18, 0)


def test_weekday_with_a_time_already_gone_today_means_next_week():
    assert start("Fri 10:00", PARIS, now=FRIDAY) == utc(2026, 12, 4, 9, 0)


def test_weekday_with_a_time_means_the_coming_such_day():
    assert start("Fri 19:30", PARIS, now=THURSDAY) == utc(2026, 11, 27, 18, 30)
    assert start("mon 9am", PARIS, now=FRIDAY) == utc(2026, 11, 30, 8, 0)


def test_time_alone_still_ahead_today_means_today():
    assert start("19:30", PARIS, now=FRIDAY) == utc(2026, 11, 27, 18, 30)
    assert start("7pm", PARIS, now=FRIDAY) == utc(2026, 11, 27, 18, 0)


def test_time_alone_already_gone_today_means_tomorrow():
    assert start("10:00", PARIS, now=FRIDAY) == utc(2026, 11, 28, 9, 0)
    assert start("9am", PARIS, now=FRIDAY) == utc(2026, 11, 28, 8, 0)


@pytest.mark.parametrize(
    "text", ["friday", "dec 5", "2026-12-05", "tomorrow", "next week", "tomorrow evening", "tomorrow at 7"]
)
def test_a_date_without_a_time_is_rejected_rather_than_guessed(text):
    assert rejection(text).reason in {"no_time", "time_not_understood"}


def test_the_add_a_time_hint_carries_the_date_that_was_given():
    refused = rejection("dec 5")
    assert (refused.reason, refused.params) == (
        "no_time",
        {"day": date(2026, 12, 5), "example": datetime(2026, 12, 5, 19, 30)},
    )


def test_an_hour_without_minutes_or_am_pm_is_refused_with_an_example_on_the_day_given():
    refused = rejection("tomorrow at 7")
    assert refused.reason == "time_not_understood"
    assert refused.params == {"text": "tomorrow at 7", "example": datetime(2026, 11, 28, 19, 30)}


def test_next_monday_9_is_refused_with_an_example_that_monday_not_the_ninth_gone_by():
    refused = rejection("next monday 9")
    assert refused.reason == "time_not_understood"
    assert refused.params == {"text": "next monday 9", "example": datetime(2026, 11, 30, 19, 30)}


def test_a_day_already_gone_without_a_time_is_refused_as_past():
    refused = rejection("1 Nov 2026")
    assert (refused.reason, refused.params) == ("past_day", {"day": date(2026, 11, 1), "example": EXAMPLE})


def test_today_without_a_time_late_in_the_evening_offers_an_example_still_ahead():
    refused = rejection("today", now=utc(2026, 11, 27, 20, 10))  # 21:10 in Paris
    assert refused.params == {"day": date(2026, 11, 27), "example": datetime(2026, 11, 27, 22, 0)}


# Ranges and durations


def test_a_range_gives_a_start_and_an_end():
    assert parse_when("Fri 19:30-22:00", PARIS, now=FRIDAY) == When(
        utc(2026, 11, 27, 18, 30), utc(2026, 11, 27, 21, 0)
    )


def test_a_duration_is_elapsed_time_from_the_start():
    when = parse_when("2027-03-28 01:30 for 2h", PARIS, now=FRIDAY)
    assert when == When(utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 2, 30))


def test_an_end_given_before_the_start_is_refused_with_both():
    refused = rejection("Sun 10:00 - Sat 09:00")
    assert refused.reason == "end_before_start"
    assert refused.params == {
        "start": utc(2026, 11, 29, 9, 0),
        "end": utc(2026, 11, 28, 8, 0),
        "timezone": PARIS,
    }


def test_a_range_read_only_in_part_is_refused_whole():
    refused = rejection("Fri 19:30-late")
    assert (refused.reason, refused.params) == (
        "range_not_understood",
        {"text": "Fri 19:30-late", "example": EXAMPLE},
    )


def test_an_end_inside_the_spring_forward_gap_is_refused_with_a_suggestion():
    refused = rejection("2027-03-27 23:00-02:30")
    assert refused.reason == "skipped_by_dst"
    assert refused.params["wall"] == datetime(2027, 3, 28, 2, 30)
    assert refused.params["suggestion"] == datetime(2027, 3, 28, 3, 30)


# Bad input


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_input_asks_when(text):
    refused = rejection(text)
    assert (refused.reason, refused.params) == ("empty", {"example": EXAMPLE})


@pytest.mark.parametrize("text", ["blah", "whenever", "30 feb 2027 19:30", "in 99999999999 days 19:30"])
def test_nonsense_is_rejected_with_an_example_that_works(text):
    refused = rejection(text)
    assert (refused.reason, refused.params) == ("not_understood", {"text": text, "example": EXAMPLE})
    assert start(f"{EXAMPLE:%Y-%m-%d %H:%M}") > FRIDAY


def test_input_longer_than_a_hundred_characters_is_rejected():
    refused = rejection("tomorrow 19:30 " + "x" * 90)
    assert (refused.reason, refused.params) == ("too_long", {"example": EXAMPLE})


@pytest.mark.parametrize("text", ["tomorrow\x00 19:30", "tomorrow 19:30\x1b[2J", "\x07"])
def test_control_characters_are_rejected(text):
    assert rejection(text).reason == "unreadable_characters"


def test_a_time_in_the_past_is_rejected_and_shown():
    refused = rejection("2026-11-01 10:00")
    assert refused.reason == "past"
    assert refused.params == {"instant": utc(2026, 11, 1, 9, 0), "timezone": PARIS, "example": EXAMPLE}


def test_exactly_now_counts_as_the_past():
    assert rejection("2026-11-27 15:00").reason == "past"


def test_a_minute_from_now_is_accepted():
    assert start("2026-11-27 15:01", PARIS, now=FRIDAY) == utc(2026, 11, 27, 14, 1)


def test_more_than_ten_years_ahead_is_too_far():
    refused = rejection("2040-01-01 10:00")
    assert (refused.reason, refused.params) == ("too_far", {"last_year": 2036, "example": EXAMPLE})
    assert start("2036-12-31 10:00", PARIS, now=FRIDAY) == utc(2036, 12, 31, 9, 0)


def test_an_unknown_zone_is_a_timezone_error():
    with pytest.raises(InvalidField) as caught:
        parse_when("tomorrow 19:30", "Mars/Olympus", now=FRIDAY)
    assert (caught.value.field, caught.value.reason) == ("timezone", "unknown")
    assert caught.value.params == {"text": "Mars/Olympus"}


# Daylight saving time


def test_spring_forward_gap_is_rejected_with_a_suggestion():
    refused = rejection("2027-03-28 02:30")
    assert refused.reason == "skipped_by_dst"
    assert refused.params == {
        "wall": datetime(2027, 3, 28, 2, 30),
        "suggestion": datetime(2027, 3, 28, 3, 30),
        "timezone": PARIS,
    }


def test_spring_forward_gap_in_london_and_new_york_is_rejected():
    london = rejection("2026-03-29 01:30", "Europe/London", now=EARLY_MARCH)
    assert (london.reason, london.params["suggestion"]) == ("skipped_by_dst", datetime(2026, 3, 29, 2, 30))
    new_york = rejection("2026-03-08 02:30", "America/New_York", now=EARLY_MARCH)
    assert new_york.reason == "skipped_by_dst"
    assert new_york.params["timezone"] == "America/New_York"


def test_the_hour_after_the_gap_is_accepted():
    assert start("2027-03-28 03:30", PARIS, now=FRIDAY) == utc(2027, 3, 28, 1, 30)


def test_autumn_overlap_takes_the_first_occurrence_in_summer_time():
    instant = start("2027-10-31 02:30", PARIS, now=FRIDAY)
    assert instant == utc(2027, 10, 31, 0, 30)
    assert local(instant, PARIS) == "2027-10-31 02:30 CEST"


def test_autumn_overlap_in_new_york_takes_daylight_time():
    instant = start("2026-11-01 01:30", "America/New_York", now=EARLY_MARCH)
    assert instant == utc(2026, 11, 1, 5, 30)
    assert local(instant, "America/New_York") == "2026-11-01 01:30 EDT"


def test_an_event_made_in_summer_time_for_winter_keeps_its_local_time():
    instant = start("2026-11-05 19:30", PARIS, now=utc(2026, 10, 10, 12, 0))
    assert instant == utc(2026, 11, 5, 18, 30)
    assert local(instant, PARIS) == "2026-11-05 19:30 CET"


def test_in_two_hours_across_the_spring_change_is_two_real_hours():
    one_thirty_in_paris = utc(2027, 3, 28, 0, 30)
    assert start("in 2 hours", PARIS, now=one_thirty_in_paris) == utc(2027, 3, 28, 2, 30)


def test_in_two_hours_across_the_autumn_change_is_two_real_hours():
    one_thirty_in_paris = utc(2027, 10, 30, 23, 30)
    assert start("in 2 hours", PARIS, now=one_thirty_in_paris) == utc(2027, 10, 31, 1, 30)


def test_london_summer_time_is_one_hour_ahead_of_utc():
    assert start("2026-07-01 19:30", "Europe/London", now=EARLY_MARCH) == utc(2026, 7, 1, 18, 30)


# Time zones


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        ("  EUROPE/PARIS ", "Europe/Paris"),
        ("america/new_york", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "GMT"),
        ("Paris", "Europe/Paris"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("port au prince", "America/Port-au-Prince"),
        ("singapore", "Asia/Singapore"),
    ],
)
def test_resolve_timezone_accepts_zone_names_and_cities(text, expected):
    assert resolve_timezone(text) == expected


@pytest.mark.parametrize("text", ["Atlantis", "GMT+5", "localtime", "x" * 200])
def test_resolve_timezone_rejects_unknown_places_and_shows_at_most_forty_characters(text):
    with pytest.raises(InvalidField) as caught:
        resolve_timezone(text)
    assert (caught.value.field, caught.value.reason) == ("timezone", "unknown")
    assert caught.value.params == {"text": text[:40]}


def test_resolve_timezone_asks_for_a_zone_when_given_nothing():
    with pytest.raises(InvalidField) as caught:
        resolve_timezone("  ")
    assert (caught.value.field, caught.value.reason, caught.value.params) == ("timezone", "missing", {})


@pytest.mark.parametrize(("name", "valid"), [("Europe/Paris", True), ("UTC", True), ("europe/paris", False)])
def test_is_valid_timezone_wants_the_exact_iana_name(name, valid):
    assert is_valid_timezone(name) is valid


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "localtime", "../etc/passwd"])
def test_is_valid_timezone_rejects_non_zones(name):
    assert not is_valid_timezone(name)


def test_warm_up_runs_without_error():
    warm_up()
