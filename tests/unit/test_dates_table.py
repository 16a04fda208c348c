"""What parse_when makes of the phrases people type, one row each: the local start and end, or the refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.dates import parse_when
from core.errors import InvalidField

PARIS = "Europe/Paris"
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"

FRIDAY_AFTERNOON = (PARIS, datetime(2026, 11, 27, 14, 0, tzinfo=UTC))  # Fri 27 Nov, 15:00 in Paris
THURSDAY_NIGHT = (PARIS, datetime(2026, 11, 26, 21, 44, tzinfo=UTC))  # Thu 26 Nov, 22:44, as in the audit
BEFORE_MIDNIGHT = (PARIS, datetime(2026, 11, 27, 22, 50, tzinfo=UTC))  # Fri 27 Nov, 23:50
# Berlin moves from 02:00 CET to 03:00 CEST on Sunday 29 March 2026.
BERLIN_SATURDAY = (BERLIN, datetime(2026, 3, 28, 11, 0, tzinfo=UTC))  # Sat 28 Mar, 12:00 CET
BERLIN_SUNDAY_NIGHT = (BERLIN, datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # Sun 29 Mar, 01:30 CET
BERLIN_MONDAY = (BERLIN, datetime(2026, 3, 30, 7, 0, tzinfo=UTC))  # Mon 30 Mar, 09:00 CEST
NEW_YORK_FRIDAY = (NEW_YORK, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))  # Fri 27 Nov, 15:00 EST

# Expected: "start" or "start → end" as local wall times with the zone's abbreviation, or "refused: reason".
CASES = [
    # The audit's findings: a range, and times written the European way.
    (THURSDAY_NIGHT, "tomorrow 19:30-22:00", "2026-11-27 19:30 CET → 2026-11-27 22:00 CET"),
    (THURSDAY_NIGHT, "tomorrow 7pm-9pm", "2026-11-27 19:00 CET → 2026-11-27 21:00 CET"),
    (THURSDAY_NIGHT, "tomorrow 19h", "2026-11-27 19:00 CET"),
    (THURSDAY_NIGHT, "tomorrow 19.30", "2026-11-27 19:30 CET"),
    (THURSDAY_NIGHT, "tomorrow 1930", "2026-11-27 19:30 CET"),
    (THURSDAY_NIGHT, "tomorrow 19:30", "2026-11-27 19:30 CET"),
    (THURSDAY_NIGHT, "tomorrow", "refused: no_time"),
    (THURSDAY_NIGHT, "tomorrow evening", "refused: no_time"),
    (THURSDAY_NIGHT, "tonight 23:00", "2026-11-26 23:00 CET"),
    (THURSDAY_NIGHT, "tonight 22:00", "refused: past"),
    (THURSDAY_NIGHT, "22:50", "2026-11-26 22:50 CET"),
    (THURSDAY_NIGHT, "22:40", "2026-11-27 22:40 CET"),
    (THURSDAY_NIGHT, "Thu 22:30", "2026-12-03 22:30 CET"),
    (THURSDAY_NIGHT, "in 30 minutes", "2026-11-26 23:14 CET"),
    (FRIDAY_AFTERNOON, "next monday 9", "refused: time_not_understood"),
    (FRIDAY_AFTERNOON, "next monday 9am", "2026-11-30 09:00 CET"),
    (FRIDAY_AFTERNOON, "tomorrow at 7", "refused: time_not_understood"),
    # Ranges and durations.
    (FRIDAY_AFTERNOON, "Fri 19:30-22:00", "2026-11-27 19:30 CET → 2026-11-27 22:00 CET"),
    (FRIDAY_AFTERNOON, "Fri 19:30 for 2h", "2026-11-27 19:30 CET → 2026-11-27 21:30 CET"),
    (FRIDAY_AFTERNOON, "Fri 19:30 for 90 min", "2026-11-27 19:30 CET → 2026-11-27 21:00 CET"),
    (FRIDAY_AFTERNOON, "Fri 19:30 for 1h30", "2026-11-27 19:30 CET → 2026-11-27 21:00 CET"),
    (FRIDAY_AFTERNOON, "Fri 19:30 for 2 hours", "2026-11-27 19:30 CET → 2026-11-27 21:30 CET"),
    (FRIDAY_AFTERNOON, "Sat 22:00 - Sun 02:00", "2026-11-28 22:00 CET → 2026-11-29 02:00 CET"),
    (FRIDAY_AFTERNOON, "19:30–22:00", "2026-11-27 19:30 CET → 2026-11-27 22:00 CET"),
    (FRIDAY_AFTERNOON, "19:30 — 22:00", "2026-11-27 19:30 CET → 2026-11-27 22:00 CET"),
    (FRIDAY_AFTERNOON, "Sat 22:00-02:00", "2026-11-28 22:00 CET → 2026-11-29 02:00 CET"),
    (FRIDAY_AFTERNOON, "Sun 10:00 - Sat 09:00", "refused: end_before_start"),
    (FRIDAY_AFTERNOON, "19:30-19:30", "refused: end_before_start"),
    (FRIDAY_AFTERNOON, "from 19:30 to 22:00", "2026-11-27 19:30 CET → 2026-11-27 22:00 CET"),
    (FRIDAY_AFTERNOON, "between 7pm and 9pm", "2026-11-27 19:00 CET → 2026-11-27 21:00 CET"),
    (FRIDAY_AFTERNOON, "fri 19:30 until 23:00", "2026-11-27 19:30 CET → 2026-11-27 23:00 CET"),
    (FRIDAY_AFTERNOON, "19:30-22:00 tomorrow", "2026-11-28 19:30 CET → 2026-11-28 22:00 CET"),
    (FRIDAY_AFTERNOON, "7-9pm", "2026-11-27 19:00 CET → 2026-11-27 21:00 CET"),
    (FRIDAY_AFTERNOON, "7-9pm tomorrow", "2026-11-28 19:00 CET → 2026-11-28 21:00 CET"),
    (FRIDAY_AFTERNOON, "between 7 and 9pm on sat", "2026-11-28 19:00 CET → 2026-11-28 21:00 CET"),
    (FRIDAY_AFTERNOON, "7:30-9pm", "2026-11-27 19:30 CET → 2026-11-27 21:00 CET"),
    (FRIDAY_AFTERNOON, "7pm-9:30", "2026-11-27 19:00 CET → 2026-11-27 21:30 CET"),
    (FRIDAY_AFTERNOON, "sat 11-1pm", "2026-11-28 11:00 CET → 2026-11-28 13:00 CET"),
    (FRIDAY_AFTERNOON, "tomorrow 1930-2200", "2026-11-28 19:30 CET → 2026-11-28 22:00 CET"),
    (FRIDAY_AFTERNOON, "5 Dec 19:30 - 6 Dec 01:00", "2026-12-05 19:30 CET → 2026-12-06 01:00 CET"),
    (FRIDAY_AFTERNOON, "2026-12-05 19:30 - 2026-12-06 01:00", "2026-12-05 19:30 CET → 2026-12-06 01:00 CET"),
    (FRIDAY_AFTERNOON, "tomorrow 19:30 - 22:00 UTC", "2026-11-28 19:30 CET → 2026-11-28 23:00 CET"),
    (FRIDAY_AFTERNOON, "Fri 19:30-late", "refused: range_not_understood"),
    (FRIDAY_AFTERNOON, "19:30-22", "refused: range_not_understood"),
    (FRIDAY_AFTERNOON, "Dec 5-7pm", "refused: range_not_understood"),
    (FRIDAY_AFTERNOON, "tomorrow 7-9", "refused: range_not_understood"),
    (FRIDAY_AFTERNOON, "tomorrow 7 to 9", "refused: range_not_understood"),
    (FRIDAY_AFTERNOON, "Fri 19:30 -", "refused: range_not_understood"),
    (FRIDAY_AFTERNOON, "Sat - Sun", "refused: range_not_understood"),
    (FRIDAY_AFTERNOON, "Fri 19:30 - Sun", "refused: range_not_understood"),
    (FRIDAY_AFTERNOON, "Fri 19:30 for ever", "refused: range_not_understood"),
    (FRIDAY_AFTERNOON, "Sat 22:00 - Sun 02:00 - Mon 03:00", "refused: range_not_understood"),
    # Ways of writing a time, and numbers that are not one.
    (FRIDAY_AFTERNOON, "Fri 19:30", "2026-11-27 19:30 CET"),
    (FRIDAY_AFTERNOON, "Fri 10:00", "2026-12-04 10:00 CET"),
    (FRIDAY_AFTERNOON, "19h", "2026-11-27 19:00 CET"),
    (FRIDAY_AFTERNOON, "sat 19h30", "2026-11-28 19:30 CET"),
    (FRIDAY_AFTERNOON, "19.30", "2026-11-27 19:30 CET"),
    (FRIDAY_AFTERNOON, "Fri 1930", "2026-11-27 19:30 CET"),
    (FRIDAY_AFTERNOON, "at 1930", "2026-11-27 19:30 CET"),
    (FRIDAY_AFTERNOON, "1930", "refused: past_day"),
    (FRIDAY_AFTERNOON, "2026", "refused: no_time"),
    (FRIDAY_AFTERNOON, "dec 5 2026", "refused: no_time"),
    (FRIDAY_AFTERNOON, "05.12.2026", "refused: no_time"),
    (FRIDAY_AFTERNOON, "05.12", "refused: no_time"),
    (FRIDAY_AFTERNOON, "05.12.2026 19:30", "2026-12-05 19:30 CET"),
    (FRIDAY_AFTERNOON, "05.12.2026 1930", "2026-12-05 19:30 CET"),
    (FRIDAY_AFTERNOON, "05.12 19.30", "2026-12-05 19:30 CET"),
    (FRIDAY_AFTERNOON, "tomorrow 10.12", "2026-11-28 10:12 CET"),
    (FRIDAY_AFTERNOON, "5 Dec 2026 19h", "2026-12-05 19:00 CET"),
    (FRIDAY_AFTERNOON, "0612345678", "refused: past_day"),
    (FRIDAY_AFTERNOON, "tomorrow 555-1234", "refused: no_time"),
    (FRIDAY_AFTERNOON, "19:30 20:00", "refused: time_not_understood"),
    (FRIDAY_AFTERNOON, "tomorrow 12 AM", "2026-11-28 00:00 CET"),
    (FRIDAY_AFTERNOON, "tomorrow 12 noon", "2026-11-28 12:00 CET"),
    (FRIDAY_AFTERNOON, "12:30am", "2026-11-28 00:30 CET"),
    (FRIDAY_AFTERNOON, "in 2h30", "2026-11-27 17:30 CET"),
    (FRIDAY_AFTERNOON, "3 hours", "refused: time_not_understood"),
    (FRIDAY_AFTERNOON, "Fri 5 Dec 19:30", "refused: not_understood"),
    (FRIDAY_AFTERNOON, "2026-12-05T19:30-05:00", "2026-12-06 01:30 CET"),
    (FRIDAY_AFTERNOON, "2026-12-05T19:30-22:00", "2026-12-05 19:30 CET → 2026-12-05 22:00 CET"),
    (FRIDAY_AFTERNOON, "tomorrow 24:00", "refused: time_not_understood"),
    (FRIDAY_AFTERNOON, "19:30 pm", "refused: time_not_understood"),
    (FRIDAY_AFTERNOON, "2026-12-05 19:30 +05:00", "2026-12-05 15:30 CET"),
    # Just before midnight.
    (BEFORE_MIDNIGHT, "tomorrow 19:30", "2026-11-28 19:30 CET"),
    (BEFORE_MIDNIGHT, "00:10", "2026-11-28 00:10 CET"),
    (BEFORE_MIDNIGHT, "midnight", "2026-11-28 00:00 CET"),
    (BEFORE_MIDNIGHT, "Fri 23:55", "2026-11-27 23:55 CET"),
    (BEFORE_MIDNIGHT, "Fri 23:45", "2026-12-04 23:45 CET"),
    (BEFORE_MIDNIGHT, "23:55-01:00", "2026-11-27 23:55 CET → 2026-11-28 01:00 CET"),
    (BEFORE_MIDNIGHT, "in 20 minutes", "2026-11-28 00:10 CET"),
    (BEFORE_MIDNIGHT, "today", "refused: no_time"),
    (BEFORE_MIDNIGHT, "at 7", "refused: time_not_understood"),
    # Around the end of March in Berlin.
    (BERLIN_SATURDAY, "tomorrow 02:30", "refused: skipped_by_dst"),
    (BERLIN_SATURDAY, "tomorrow 03:00", "2026-03-29 03:00 CEST"),
    (BERLIN_SATURDAY, "tomorrow 01:59", "2026-03-29 01:59 CET"),
    (BERLIN_SATURDAY, "Sat 23:00-03:30", "2026-03-28 23:00 CET → 2026-03-29 03:30 CEST"),
    (BERLIN_SATURDAY, "Sat 23:00-02:30", "refused: skipped_by_dst"),
    (BERLIN_SATURDAY, "Sun 01:00 for 2h", "2026-03-29 01:00 CET → 2026-03-29 04:00 CEST"),
    (BERLIN_SATURDAY, "in 24 hours", "2026-03-29 13:00 CEST"),
    (BERLIN_SATURDAY, "tomorrow 1930", "2026-03-29 19:30 CEST"),
    (BERLIN_SUNDAY_NIGHT, "in 2 hours", "2026-03-29 04:30 CEST"),
    (BERLIN_SUNDAY_NIGHT, "02:30", "refused: skipped_by_dst"),
    (BERLIN_SUNDAY_NIGHT, "01:45", "2026-03-29 01:45 CET"),
    (BERLIN_SUNDAY_NIGHT, "today 19:30", "2026-03-29 19:30 CEST"),
    (BERLIN_MONDAY, "Sun 02:30", "2026-04-05 02:30 CEST"),
    (BERLIN_MONDAY, "Sat 22:00 - Sun 02:00", "2026-04-04 22:00 CEST → 2026-04-05 02:00 CEST"),
    (BERLIN_MONDAY, "Sun 7pm", "2026-04-05 19:00 CEST"),
    # New York.
    (NEW_YORK_FRIDAY, "tomorrow 7pm-9pm", "2026-11-28 19:00 EST → 2026-11-28 21:00 EST"),
    (NEW_YORK_FRIDAY, "Fri 19:30", "2026-11-27 19:30 EST"),
    (NEW_YORK_FRIDAY, "tomorrow 19:30 for 2 hours", "2026-11-28 19:30 EST → 2026-11-28 21:30 EST"),
    (NEW_YORK_FRIDAY, "12/05/2026 19:30", "refused: past"),  # day first everywhere: 12 May
    (NEW_YORK_FRIDAY, "2027-03-14 02:30", "refused: skipped_by_dst"),
    (NEW_YORK_FRIDAY, "2027-11-07 01:30", "2027-11-07 01:30 EDT"),
    (NEW_YORK_FRIDAY, "2027-11-06 23:00 - 2027-11-07 01:30", "2027-11-06 23:00 EDT → 2027-11-07 01:30 EDT"),
]


def shown(instant: datetime, zone: str) -> str:
    return f"{instant.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z}"


def outcome(text: str, zone: str, now: datetime) -> str:
    try:
        when = parse_when(text, zone, now=now)
    except InvalidField as exc:
        assert exc.field == "when"
        return f"refused: {exc.reason}"
    start = shown(when.starts_at, zone)
    return start if when.ends_at is None else f"{start} → {shown(when.ends_at, zone)}"


@pytest.mark.parametrize(("context", "text", "expected"), CASES, ids=[text for _, text, _ in CASES])
def test_each_phrase_reads_as_expected(context, text, expected):
    zone, now = context
    assert outcome(text, zone, now) == expected


@pytest.mark.parametrize(("context", "text", "expected"), CASES, ids=[text for _, text, _ in CASES])
def test_what_a_refusal_offers_is_still_ahead(context, text, expected):
    zone, now = context
    local_now = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    try:
        parse_when(text, zone, now=now)
    except InvalidField as exc:
        for name in ("example", "suggestion"):
            if name in exc.params:
                offered = exc.params[name]
                assert isinstance(offered, datetime) and offered.tzinfo is None and offered > local_now
        if exc.reason == "no_time":
            assert isinstance(exc.params["day"], date) and exc.params["day"] >= local_now.date()
    else:
        assert not expected.startswith("refused")
