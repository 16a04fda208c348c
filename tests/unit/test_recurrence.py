"""Reading how a series repeats, and the dates its rule gives, across clock changes and short months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from icalendar import Calendar

from bot.texts import describe_error, describe_rule
from core import calendar, recurrence
from core.errors import InvalidField
from core.events import EventView

BERLIN = "Europe/Berlin"
NOW = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)  # Monday 15 March 2027, 13:00 in Berlin


def local(instants: list[datetime], zone: str = BERLIN) -> list[str]:
    return [i.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z") for i in instants]


def dates_of(text: str, count: int = 4, zone: str = BERLIN) -> tuple[str, list[str]]:
    series = recurrence.parse_series(text, zone, now=NOW)
    return series.rule, local(
        [
            series.first,
            *recurrence.occurrences(series.rule, series.first, zone, after=series.first, limit=count - 1),
        ],
        zone,
    )


@pytest.mark.parametrize(
    ("text", "rule", "first_dates"),
    [
        ("every Tue 19:00", "FREQ=WEEKLY;BYDAY=TU", ["Tue 16 Mar 19:00 CET", "Tue 23 Mar 19:00 CET"]),
        ("every tuesday at 7pm", "FREQ=WEEKLY;BYDAY=TU", ["Tue 16 Mar 19:00 CET"]),
        ("each Thursday 18:30", "FREQ=WEEKLY;BYDAY=TH", ["Thu 18 Mar 18:30 CET"]),
        (
            "every Mon and Thu 18:00",
            "FREQ=WEEKLY;BYDAY=MO,TH",
            ["Mon 15 Mar 18:00 CET", "Thu 18 Mar 18:00 CET"],
        ),
        ("every mon, wed & fri 7:00", "FREQ=WEEKLY;BYDAY=MO,WE,FR", ["Wed 17 Mar 07:00 CET"]),
        (
            "every other Wednesday 19:30",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
            ["Wed 17 Mar 19:30 CET", "Wed 31 Mar 19:30 CEST"],
        ),
        ("every 2 weeks on Sunday 10:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", ["Sun 21 Mar 10:00 CET"]),
        (
            "every weekday 9:00",
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            ["Tue 16 Mar 09:00 CET", "Wed 17 Mar 09:00 CET"],
        ),
        ("daily 7:30", "FREQ=DAILY", ["Tue 16 Mar 07:30 CET"]),
        ("every day 21:00", "FREQ=DAILY", ["Mon 15 Mar 21:00 CET", "Tue 16 Mar 21:00 CET"]),
        (
            "every month on the 15th 19:00",
            "FREQ=MONTHLY;BYMONTHDAY=15",
            ["Mon 15 Mar 19:00 CET", "Thu 15 Apr 19:00 CEST"],
        ),
        ("monthly on the 1st 12:00", "FREQ=MONTHLY;BYMONTHDAY=1", ["Thu 01 Apr 12:00 CEST"]),
        (
            "first Monday of the month 19:00",
            "FREQ=MONTHLY;BYDAY=1MO",
            ["Mon 05 Apr 19:00 CEST", "Mon 03 May 19:00 CEST"],
        ),
        ("second tue of every month 18:00", "FREQ=MONTHLY;BYDAY=2TU", ["Tue 13 Apr 18:00 CEST"]),
        (
            "last Friday of the month 18:00",
            "FREQ=MONTHLY;BYDAY=-1FR",
            ["Fri 26 Mar 18:00 CET", "Fri 30 Apr 18:00 CEST"],
        ),
        ("every Tue 19:00-21:00", "FREQ=WEEKLY;BYDAY=TU", ["Tue 16 Mar 19:00 CET"]),
    ],
)
def test_common_ways_to_say_how_a_series_repeats(text, rule, first_dates):
    got_rule, got_dates = dates_of(text)
    assert got_rule == rule
    assert got_dates[: len(first_dates)] == first_dates


def test_a_weekly_series_across_the_end_of_march_keeps_its_clock_time_in_berlin():
    _, dates = dates_of("every Tue 19:00", 4)
    assert dates == [
        "Tue 16 Mar 19:00 CET",
        "Tue 23 Mar 19:00 CET",
        "Tue 30 Mar 19:00 CEST",
        "Tue 06 Apr 19:00 CEST",
    ]
    series = recurrence.parse_series("every Tue 19:00", BERLIN, now=NOW)
    utc = [
        series.first,
        *recurrence.occurrences(series.rule, series.first, BERLIN, after=series.first, limit=3),
    ]
    assert utc[2] - utc[1] == timedelta(days=7) - timedelta(hours=1)  # the week the clocks went forward


def test_a_monthly_series_on_the_31st_skips_months_without_one():
    _, dates = dates_of("every month on the 31st 19:00", 5)
    assert dates == [
        "Wed 31 Mar 19:00 CEST",
        "Mon 31 May 19:00 CEST",
        "Sat 31 Jul 19:00 CEST",
        "Tue 31 Aug 19:00 CEST",
        "Sun 31 Oct 19:00 CET",
    ]


def test_a_series_may_end_on_a_day_or_after_some_dates():
    until = recurrence.parse_series("every Tue 19:00 until 30 March", BERLIN, now=NOW)
    assert until.rule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270330T215959Z"
    assert local(recurrence.occurrences(until.rule, until.first, BERLIN, after=until.first, limit=9)) == [
        "Tue 23 Mar 19:00 CET",
        "Tue 30 Mar 19:00 CEST",
    ]
    times = recurrence.parse_series("every Tue 19:00 for 3 times", BERLIN, now=NOW)
    assert times.rule.endswith("COUNT=3")
    assert len(recurrence.occurrences(times.rule, times.first, BERLIN, after=times.first, limit=9)) == 2


def test_a_range_gives_each_date_its_length():
    series = recurrence.parse_series("every Fri 22:00-02:00", BERLIN, now=NOW)
    assert series.duration == timedelta(hours=4)


def test_skipped_dates_are_left_out():
    series = recurrence.parse_series("every Tue 19:00", BERLIN, now=NOW)
    second = recurrence.occurrences(series.rule, series.first, BERLIN, after=series.first, limit=1)[0]
    shown = recurrence.occurrences(
        series.rule, series.first, BERLIN, after=series.first, skipped=[second], limit=2
    )
    assert local(shown) == ["Tue 30 Mar 19:00 CEST", "Tue 06 Apr 19:00 CEST"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("every blursday 19:00", "not_understood"),
        ("every Tue", "no_time"),
        ("every Tue sometime", "time_not_understood"),
        ("every month on the 32nd 19:00", "no_such_day"),
        ("every Tue 19:00 for 900 times", "count_out_of_range"),
        ("every Tue 19:00 until yesterday", "until_not_understood"),
        ("every Tue 19:00 until 2027-03-15", "until_before_start"),
        ("every fortnight 19:00", "not_understood"),
    ],
)
def test_what_cannot_be_a_rule_is_refused_with_an_example(text, reason):
    with pytest.raises(InvalidField) as refused:
        recurrence.parse_series(text, BERLIN, now=NOW)
    assert (refused.value.field, refused.value.reason) == ("repeat", reason)
    sentence = describe_error(refused.value)
    assert sentence.startswith("Repeat:") and "can't be used" not in sentence


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("every Tue 19:00", "Every Tuesday"),
        ("every other Wed 19:00", "Every other Wednesday"),
        ("every Mon and Thu 19:00", "Every Monday and Thursday"),
        ("every weekday 9:00", "Every weekday"),
        ("daily 7:00", "Every day"),
        ("every month on the 22nd 19:00", "Every month on the 22nd"),
        ("last Fri of the month 18:00", "The last Friday of every month"),
        ("every Tue 19:00 until 6 April", "Every Tuesday, until Tue 6 Apr 2027"),
        ("every Tue 19:00 for 5 times", "Every Tuesday, 5 times"),
    ],
)
def test_a_rule_reads_back_in_words(text, words):
    series = recurrence.parse_series(text, BERLIN, now=NOW)
    assert describe_rule(series.rule, BERLIN) == words


def test_a_series_in_a_calendar_file_has_its_rule_skips_and_moved_dates():
    series = recurrence.parse_series("every Tue 19:00", BERLIN, now=NOW)
    second, third, fourth = recurrence.occurrences(
        series.rule, series.first, BERLIN, after=series.first, limit=3
    )
    event = EventView(
        link_id="Ab3dE5gH9k",
        title="Running club",
        description=None,
        location="Park gate",
        starts_at=second + timedelta(hours=1),  # the date shown was moved an hour later
        ends_at=None,
        timezone=BERLIN,
        creator_user_id=1,
        chat_id=-1,
        sequence=3,
        created_at=NOW,
        updated_at=NOW,
        cancelled_at=None,
        recurrence=series.rule,
        series_start=series.first,
        occurrence_start=second,
        skipped_dates=(third,),
        moved_dates=((fourth, fourth + timedelta(days=1)),),  # a later date moved a day on
    )
    parsed = Calendar.from_ical(calendar.ics_bytes(event, url="https://t.me/bot?start=Ab3dE5gH9k"))
    master, moved, later = parsed.walk("VEVENT")
    assert later.decoded("RECURRENCE-ID").astimezone(UTC) == fourth
    assert later.decoded("DTSTART").astimezone(UTC) == fourth + timedelta(days=1)
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=TU"
    assert master.decoded("DTSTART").astimezone(UTC) == series.first
    assert str(master["DTSTART"].params["TZID"]) == BERLIN
    assert master["EXDATE"].dts[0].dt.astimezone(UTC) == third
    assert moved.decoded("RECURRENCE-ID").astimezone(UTC) == second
    assert moved.decoded("DTSTART").astimezone(UTC) == second + timedelta(hours=1)
    assert str(master["UID"]) == str(moved["UID"])
    assert "recur=RRULE%3AFREQ%3DWEEKLY%3BBYDAY%3DTU" in calendar.google_calendar_url(
        event, url="https://t.me/x"
    )


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY;BYDAY=TU",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTHDAY=1",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYDAY=2WE",
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15",
        "FREQ=WEEKLY;BYDAY=SU;UNTIL=20291231T225959Z",
    ],
)
@pytest.mark.parametrize("days_old", [0, 3, 40, 400, 1500])
def test_an_old_series_lists_the_same_next_dates_as_walking_it_from_its_first_date(rule, days_old):
    # Cards start the walk near the date they show, not at the first date; the dates must not change.
    zone = ZoneInfo("Europe/Berlin")
    after = datetime(2026, 11, 30, 12, tzinfo=UTC)
    first_wall = (after.astimezone(zone) - timedelta(days=days_old)).replace(
        hour=19, minute=30, second=0, microsecond=0, tzinfo=None
    )
    walk = rrule.rrulestr(
        f"RRULE:{rule.split(';UNTIL')[0]}",
        dtstart=first_wall,
        ignoretz=True,
    )
    until = datetime(2029, 12, 31, 22, 59, 59, tzinfo=UTC) if "UNTIL" in rule else None
    expected = []
    for wall in walk:
        instant = wall.replace(tzinfo=zone).astimezone(UTC)
        if until is not None and instant > until:
            break
        if instant > after:
            expected.append(instant)
        if len(expected) == 6:
            break
    first = first_wall.replace(tzinfo=zone).astimezone(UTC)
    assert recurrence.occurrences(rule, first, "Europe/Berlin", after=after, limit=6) == expected
