"""How instants, durations and offsets read on cards and in replies."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.timefmt import describe_delta, describe_offsets, describe_seconds, format_when

PARIS = "Europe/Paris"
FRIDAY = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 15:00 in Paris


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_first_of_two_autumn_readings_shows_its_summer_time_abbreviation():
    assert format_when(utc(2027, 10, 31, 0, 30), PARIS) == "Sun 31 Oct 2027, 02:30 CEST (Europe/Paris)"
    assert (
        format_when(utc(2026, 11, 1, 5, 30), "America/New_York")
        == "Sun 1 Nov 2026, 01:30 EDT (America/New_York)"
    )


def test_a_winter_event_shows_winter_time():
    assert format_when(utc(2026, 11, 5, 18, 30), PARIS) == "Thu 5 Nov 2026, 19:30 CET (Europe/Paris)"


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


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        ((), "off"),
        ((60,), "1 hour before the start"),
        ((1440, 60), "1 day and 1 hour before the start"),
        ((2880, 90, 5), "2 days, 1 hour 30 minutes and 5 minutes before the start"),
    ],
)
def test_reminder_offsets_read_as_a_sentence(minutes, expected):
    assert describe_offsets(minutes) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"), [(1, "1 second"), (59, "59 seconds"), (60, "1 minute"), (61, "2 minutes")]
)
def test_a_wait_is_rounded_up_to_what_a_person_reads(seconds, expected):
    assert describe_seconds(seconds) == expected
