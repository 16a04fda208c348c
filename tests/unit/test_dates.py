from datetime import UTC, datetime, timedelta

import pytest

from core.dates import (
    describe_delta,
    format_when,
    is_valid_timezone,
    parse_when,
    resolve_timezone,
    warm_up,
)
from core.errors import InvalidField

PARIS = "Europe/Paris"
THURSDAY = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 15:00 in Paris
FRIDAY = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 15:00 in Paris
EARLY_MARCH = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rejection(text: str, tz_name: str = PARIS, now: datetime = FRIDAY) -> str:
    with pytest.raises(InvalidField) as caught:
        parse_when(text, tz_name, now=now)
    assert caught.value.field == "when"
    return caught.value.message


# Natural language and numeric forms


def test_tomorrow_with_an_evening_time_is_read_in_the_chats_zone():
    assert parse_when("tomorrow 7pm", PARIS, now=THURSDAY) == utc(2026, 11, 27, 18, 0)


@pytest.mark.parametrize("text", ["2026-12-05 19:30", "2026-12-05T19:30", "5 Dec 2026 19:30", "dec 5 7:30pm"])
def test_iso_and_written_dates_with_a_time_are_understood(text):
    assert parse_when(text, PARIS, now=FRIDAY) == utc(2026, 12, 5, 18, 30)


@pytest.mark.parametrize("text", ["05.12.2026 19:30", "05/12/2026 19:30", "05-12-2026 19:30"])
def test_slashed_and_dotted_numeric_dates_are_day_first(text):
    assert parse_when(text, PARIS, now=FRIDAY) == utc(2026, 12, 5, 18, 30)


def test_iso_dates_stay_year_month_day_despite_day_first_order():
    assert parse_when("2027-05-12 10:00", PARIS, now=FRIDAY) == utc(2027, 5, 12, 8, 0)


def test_in_three_days_at_noon_is_understood():
    assert parse_when("in 3 days at noon", PARIS, now=FRIDAY) == utc(2026, 11, 30, 11, 0)


def test_relative_hours_count_from_now_to_the_minute():
    now = utc(2026, 11, 27, 14, 0, 37)
    assert parse_when("in 3 hours", PARIS, now=now) == utc(2026, 11, 27, 17, 0)
    assert parse_when("in 45 minutes", PARIS, now=now) == utc(2026, 11, 27, 14, 45)


def test_next_friday_said_on_a_friday_is_a_week_later():
    assert parse_when("next fri 19:30", PARIS, now=FRIDAY) == utc(2026, 12, 4, 18, 30)


def test_tonight_with_a_time_is_today():
    assert parse_when("tonight 8pm", PARIS, now=FRIDAY) == utc(2026, 11, 27, 19, 0)


def test_newlines_and_tabs_count_as_spaces():
    assert parse_when("tomorrow\n\t19:30", PARIS, now=FRIDAY) == utc(2026, 11, 28, 18, 30)


def test_an_explicit_offset_or_zone_in_the_text_wins_over_the_chats_zone():
    assert parse_when("2026-12-05T19:30Z", PARIS, now=FRIDAY) == utc(2026, 12, 5, 19, 30)
    assert parse_when("2026-12-05 19:30 +05:00", PARIS, now=FRIDAY) == utc(2026, 12, 5, 14, 30)


def test_the_result_is_aware_and_in_utc():
    instant = parse_when("tomorrow 19:30", PARIS, now=FRIDAY)
    assert instant.tzinfo is UTC


def test_now_defaults_to_the_current_time():
    assert parse_when("tomorrow 19:30", "UTC") > datetime.now(UTC)


# 12-hour clocks


def test_twelve_pm_is_noon():
    assert parse_when("tomorrow 12 PM", "UTC", now=FRIDAY) == utc(2026, 11, 28, 12, 0)
    assert parse_when("12pm", "UTC", now=utc(2026, 11, 27, 9, 0)) == utc(2026, 11, 27, 12, 0)


def test_twelve_am_is_midnight():
    assert parse_when("tomorrow 12 AM", "UTC", now=FRIDAY) == utc(2026, 11, 28, 0, 0)
    assert parse_when("12 AM", "UTC", now=FRIDAY) == utc(2026, 11, 28, 0, 0)


def test_twelve_thirty_am_is_half_past_midnight():
    assert parse_when("12:30am", "UTC", now=FRIDAY) == utc(2026, 11, 28, 0, 30)


def test_seven_thirty_pm_is_nineteen_thirty():
    assert parse_when("sat 7.30pm", "UTC", now=FRIDAY) == utc(2026, 11, 28, 19, 30)


# Weekdays and times without a date


def test_weekday_with_a_time_later_today_means_today():
    assert parse_when("Fri 19:30", PARIS, now=FRIDAY) == utc(2026, 11, 27, 18, 30)
    assert parse_when("friday at 7pm", PARIS, now=FRIDAY) == utc(2026, 11, 27, 18, 0)


def test_weekday_with_a_time_already_gone_today_means_next_week():
    assert parse_when("Fri 10:00", PARIS, now=FRIDAY) == utc(2026, 12, 4, 9, 0)


def test_weekday_with_a_time_means_the_coming_such_day():
    assert parse_when("Fri 19:30", PARIS, now=THURSDAY) == utc(2026, 11, 27, 18, 30)
    assert parse_when("mon 9am", PARIS, now=FRIDAY) == utc(2026, 11, 30, 8, 0)


def test_time_alone_still_ahead_today_means_today():
    assert parse_when("19:30", PARIS, now=FRIDAY) == utc(2026, 11, 27, 18, 30)
    assert parse_when("7pm", PARIS, now=FRIDAY) == utc(2026, 11, 27, 18, 0)


def test_time_alone_already_gone_today_means_tomorrow():
    assert parse_when("10:00", PARIS, now=FRIDAY) == utc(2026, 11, 28, 9, 0)
    assert parse_when("9am", PARIS, now=FRIDAY) == utc(2026, 11, 28, 8, 0)


@pytest.mark.parametrize(
    "text", ["friday", "dec 5", "2026-12-05", "tomorrow", "next week", "tomorrow evening", "tomorrow at 7"]
)
def test_a_date_without_a_time_is_rejected_rather_than_guessed(text):
    assert "Please add a time" in rejection(text)


def test_the_add_a_time_hint_uses_the_date_that_was_given():
    assert rejection("dec 5") == "When: Please add a time, e.g. “5 Dec 2026 19:30”."


# Bad input


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_input_asks_when(text):
    assert rejection(text).startswith("When: Please say when, e.g. “tomorrow 19:30”")


@pytest.mark.parametrize("text", ["blah", "whenever", "30 feb 2027 19:30", "in 99999999999 days 19:30"])
def test_nonsense_is_rejected_with_examples_that_work(text):
    message = rejection(text)
    assert f"I couldn't understand “{text}” as a date and time." in message
    assert "“tomorrow 19:30”, “Fri 7pm” or “2026-12-04 19:30”" in message


def test_input_longer_than_a_hundred_characters_is_rejected():
    assert "too long" in rejection("tomorrow 19:30 " + "x" * 90)


@pytest.mark.parametrize("text", ["tomorrow\x00 19:30", "tomorrow 19:30\x1b[2J", "\x07"])
def test_control_characters_are_rejected(text):
    assert "characters I can't read" in rejection(text)


def test_a_time_in_the_past_is_rejected_and_shown():
    message = rejection("2026-11-01 10:00")
    assert "That time, Sun 1 Nov 2026, 10:00 CET (Europe/Paris), is already in the past." in message


def test_exactly_now_counts_as_the_past():
    assert "already in the past" in rejection("2026-11-27 15:00")


def test_a_minute_from_now_is_accepted():
    assert parse_when("2026-11-27 15:01", PARIS, now=FRIDAY) == utc(2026, 11, 27, 14, 1)


def test_more_than_ten_years_ahead_is_too_far():
    assert "too far in the future" in rejection("2040-01-01 10:00")
    assert parse_when("2036-12-31 10:00", PARIS, now=FRIDAY) == utc(2036, 12, 31, 9, 0)


def test_an_unknown_zone_is_a_timezone_error():
    with pytest.raises(InvalidField) as caught:
        parse_when("tomorrow 19:30", "Mars/Olympus", now=FRIDAY)
    assert caught.value.field == "timezone"
    assert "Europe/Paris" in caught.value.message


# Daylight saving time


def test_spring_forward_gap_is_rejected_with_a_suggestion():
    message = rejection("2027-03-28 02:30")
    assert message == (
        "When: 02:30 on Sun 28 Mar 2027 doesn't exist in Europe/Paris: "
        "the clocks jump forward then. Try 03:30 instead."
    )


def test_spring_forward_gap_in_london_and_new_york_is_rejected():
    assert "Try 02:30" in rejection("2026-03-29 01:30", "Europe/London", now=EARLY_MARCH)
    assert "America/New_York" in rejection("2026-03-08 02:30", "America/New_York", now=EARLY_MARCH)


def test_the_hour_after_the_gap_is_accepted():
    assert parse_when("2027-03-28 03:30", PARIS, now=FRIDAY) == utc(2027, 3, 28, 1, 30)


def test_autumn_overlap_takes_the_first_occurrence_in_summer_time():
    instant = parse_when("2027-10-31 02:30", PARIS, now=FRIDAY)
    assert instant == utc(2027, 10, 31, 0, 30)
    assert format_when(instant, PARIS) == "Sun 31 Oct 2027, 02:30 CEST (Europe/Paris)"


def test_autumn_overlap_in_new_york_takes_daylight_time():
    instant = parse_when("2026-11-01 01:30", "America/New_York", now=EARLY_MARCH)
    assert instant == utc(2026, 11, 1, 5, 30)
    assert format_when(instant, "America/New_York") == "Sun 1 Nov 2026, 01:30 EDT (America/New_York)"


def test_an_event_made_in_summer_time_for_winter_keeps_its_local_time():
    instant = parse_when("2026-11-05 19:30", PARIS, now=utc(2026, 10, 10, 12, 0))
    assert instant == utc(2026, 11, 5, 18, 30)
    assert format_when(instant, PARIS) == "Thu 5 Nov 2026, 19:30 CET (Europe/Paris)"


def test_in_two_hours_across_the_spring_change_is_two_real_hours():
    one_thirty_in_paris = utc(2027, 3, 28, 0, 30)
    assert parse_when("in 2 hours", PARIS, now=one_thirty_in_paris) == utc(2027, 3, 28, 2, 30)


def test_in_two_hours_across_the_autumn_change_is_two_real_hours():
    one_thirty_in_paris = utc(2027, 10, 30, 23, 30)
    assert parse_when("in 2 hours", PARIS, now=one_thirty_in_paris) == utc(2027, 10, 31, 1, 30)


def test_london_summer_time_is_one_hour_ahead_of_utc():
    assert parse_when("2026-07-01 19:30", "Europe/London", now=EARLY_MARCH) == utc(2026, 7, 1, 18, 30)


# format_when


def test_format_shows_weekday_date_24_hour_time_and_zone():
    assert format_when(utc(2026, 12, 4, 18, 30), PARIS) == "Fri 4 Dec 2026, 19:30 CET (Europe/Paris)"


def test_format_in_utc_names_the_zone_once():
    assert format_when(utc(2026, 12, 4, 19, 30), "UTC") == "Fri 4 Dec 2026, 19:30 UTC"


def test_format_uses_24_hour_time_in_the_afternoon_and_after_midnight():
    assert format_when(utc(2026, 12, 4, 23, 5), "America/New_York") == (
        "Fri 4 Dec 2026, 18:05 EST (America/New_York)"
    )
    assert format_when(utc(2026, 12, 4, 0, 5), "UTC") == "Fri 4 Dec 2026, 00:05 UTC"


def test_format_spells_out_numeric_zone_abbreviations_as_utc_offsets():
    assert format_when(utc(2026, 12, 4, 22, 30), "America/Sao_Paulo") == (
        "Fri 4 Dec 2026, 19:30 UTC-03 (America/Sao_Paulo)"
    )


def test_format_treats_a_naive_datetime_as_utc():
    assert format_when(datetime(2026, 12, 4, 19, 30), "UTC") == "Fri 4 Dec 2026, 19:30 UTC"


# describe_delta


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=0), "now"),
        (timedelta(seconds=20), "now"),
        (timedelta(seconds=-25), "now"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(minutes=45), "in 45 minutes"),
        (timedelta(minutes=44, seconds=40), "in 45 minutes"),
        (timedelta(hours=1), "in 1 hour"),
        (timedelta(hours=3), "in 3 hours"),
        (timedelta(hours=23), "in 23 hours"),
        (timedelta(days=1), "in 1 day"),
        (timedelta(days=2), "in 2 days"),
        (timedelta(minutes=-10), "started 10 minutes ago"),
        (timedelta(hours=-3), "started 3 hours ago"),
        (timedelta(days=-2), "started 2 days ago"),
    ],
)
def test_describe_delta_says_how_far_away_in_one_unit(delta, expected):
    assert describe_delta(FRIDAY + delta, FRIDAY) == expected


def test_describe_delta_defaults_to_the_current_time():
    assert describe_delta(datetime.now(UTC) + timedelta(hours=3, seconds=5)) == "in 3 hours"


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
def test_resolve_timezone_rejects_unknown_places_with_an_example(text):
    with pytest.raises(InvalidField) as caught:
        resolve_timezone(text)
    assert caught.value.field == "timezone"
    assert "Try a city such as “Paris” or “New York”" in caught.value.message


def test_resolve_timezone_asks_for_a_zone_when_given_nothing():
    with pytest.raises(InvalidField, match="Please name a time zone"):
        resolve_timezone("  ")


@pytest.mark.parametrize(("name", "valid"), [("Europe/Paris", True), ("UTC", True), ("europe/paris", False)])
def test_is_valid_timezone_wants_the_exact_iana_name(name, valid):
    assert is_valid_timezone(name) is valid


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "localtime", "../etc/passwd"])
def test_is_valid_timezone_rejects_non_zones(name):
    assert not is_valid_timezone(name)


def test_warm_up_runs_without_error():
    warm_up()
