"""Recurring series: "every Tue 19:00" read into an RFC 5545 rule, and the dates the rule gives.

A rule is kept as the text of an RRULE (``FREQ=WEEKLY;BYDAY=TU``, UNTIL in UTC as RFC 5545 wants
beside a TZID), with the series' first start. Dates come from python-dateutil's ``rrule`` run on the
local clock of the event's zone, then placed in that zone: a weekly 19:00 stays 19:00 across
daylight-saving changes, and a local time that a spring-forward skips is read with the offset before
the gap, as RFC 5545 says. "The 31st" skips months without one, as RFC 5545 says too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import rrule

from core import dates
from core.clock import as_utc, now_or
from core.errors import InvalidField
from core.events import parse_dates, parse_moves

_WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_DAY_NAMES = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{
        name: i
        for i, name in enumerate(
            ("mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays")
        )
    },
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": -1,
}
_DAY = (
    r"(?:mon(?:day)?s?|tue(?:s|sday)?s?|wed(?:nesday)?s?|thu(?:rs?|rsday)?s?|fri(?:day)?s?"
    r"|sat(?:urday)?s?|sun(?:day)?s?)\b"
)
_DAYS = rf"{_DAY}(?:\s*(?:,|and|&)\s*{_DAY})*"
_STARTS = re.compile(
    rf"^(?:every|each|daily|weekly|monthly|(?:first|second|third|fourth|last|1st|2nd|3rd|4th)\s+{_DAY}\s+of)\b",
    re.IGNORECASE,
)
_UNTIL = re.compile(r"\s+(?:until|till|to)\s+(?P<until>.+)$", re.IGNORECASE)
_TIMES = re.compile(r"\s+(?:for\s+)?(?P<count>\d{1,3})\s+times$", re.IGNORECASE)
_FORMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:daily|every\s+day)\b", re.IGNORECASE), "daily"),
    (re.compile(r"^every\s+weekday\b", re.IGNORECASE), "weekdays"),
    (re.compile(rf"^every\s+(?:other|second)\s+(?P<days>{_DAYS})\b", re.IGNORECASE), "fortnightly"),
    (re.compile(rf"^every\s+2\s+weeks\s+on\s+(?P<days>{_DAYS})\b", re.IGNORECASE), "fortnightly"),
    (re.compile(rf"^(?:every|each|weekly\s+on)\s+(?P<days>{_DAYS})\b", re.IGNORECASE), "weekly"),
    (
        re.compile(
            r"^(?:(?:every|each)\s+month|monthly)\s+on\s+(?:the\s+)?(?P<mday>\d{1,2})(?:st|nd|rd|th)?\b",
            re.IGNORECASE,
        ),
        "monthday",
    ),
    (
        re.compile(
            rf"^(?:every\s+|each\s+|the\s+)?(?P<nth>first|second|third|fourth|last|1st|2nd|3rd|4th)\s+"
            rf"(?P<day>{_DAY})\s+of\s+(?:the|every|each)\s+month\b",
            re.IGNORECASE,
        ),
        "monthly_weekday",
    ),
]
MAX_COUNT = 500
LISTED = 3  # upcoming dates a card lists


@dataclass(frozen=True, slots=True)
class Series:
    """A recurrence rule (the text of an RRULE), its first start, and each date's length."""

    rule: str
    first: datetime  # aware UTC
    duration: timedelta | None


def is_series(text: str) -> bool:
    """Whether ``text`` asks for a recurring series ("every Tue 19:00"), not one date."""
    return bool(_STARTS.match(" ".join(text.split())))


def parse_series(text: str, tz_name: str, *, now: datetime | None = None) -> Series:
    """Read "every Tue 19:00 until 1 March" (and its kin) in ``tz_name``; refuse with an example
    what cannot be a rule."""
    now = now_or(now)
    text = " ".join(text.split())
    zone = ZoneInfo(tz_name)
    count = until = None
    if match := _TIMES.search(text):
        count = int(match["count"])
        if not 1 <= count <= MAX_COUNT:
            raise InvalidField("repeat", "count_out_of_range", limit=MAX_COUNT)
        text = text[: match.start()]
    elif match := _UNTIL.search(text):
        until = _until(match["until"], tz_name, now)
        text = text[: match.start()]
    matched = next(((form, found) for pattern, form in _FORMS if (found := pattern.match(text))), None)
    if matched is None:
        raise InvalidField("repeat", "not_understood", text=text[:60])
    form, found = matched
    parts = _rule_parts(form, found)
    clock = text[found.end() :].strip()
    start_time, duration = _time_of_day(clock, tz_name)
    if count is not None:
        parts.append(f"COUNT={count}")
    first = _first_start(parts, start_time, zone, now, until)
    if until is not None:
        if until <= first:
            raise InvalidField("repeat", "until_before_start", until=until, timezone=tz_name)
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    return Series(";".join(parts), first, duration)


def occurrences(
    rule: str,
    first: datetime,
    tz_name: str,
    *,
    after: datetime | None = None,
    skipped: Iterable[datetime] = (),
    moved: Iterable[tuple[datetime, datetime]] = (),
    limit: int = LISTED,
) -> list[datetime]:
    """The series' next ``limit`` starts (aware UTC) strictly after ``after`` by the rule, skipped dates
    left out and moved ones at their new start (in time order)."""
    zone = ZoneInfo(tz_name)
    gone = {as_utc(day) for day in skipped}
    moves = {as_utc(was): as_utc(now) for was, now in moved}
    found: list[datetime] = []
    after_utc = as_utc(after) if after is not None else None
    for wall in _walls(rule, first, zone, after_utc):
        instant = wall.replace(tzinfo=zone).astimezone(UTC)
        if (after_utc is not None and instant <= after_utc) or instant in gone:
            continue
        found.append(moves.get(instant, instant))
        if len(found) >= limit:
            break
    return sorted(found)


def coming(
    rule: str, first: datetime, tz_name: str, after: datetime, skipped_text: str, moved_text: str
) -> str:
    """The dates a card lists after ``after``, packed for the row with the key of what they follow from:
    the rule, its first date, its zone, the date shown and the raw skipped and moved columns."""
    found = occurrences(
        rule, first, tz_name, after=after, skipped=parse_dates(skipped_text), moved=parse_moves(moved_text)
    )
    key = _coming_key(rule, first, tz_name, after, skipped_text, moved_text)
    return f"{key}:" + ",".join(str(int(day.timestamp())) for day in found)


def unpack_coming(
    packed: str, rule: str, first: datetime, tz_name: str, after: datetime, skipped_text: str, moved_text: str
) -> tuple[datetime, ...] | None:
    """The dates ``coming`` packed, or None when they were worked out from other values (a change that
    did not pack them again: the caller walks the rule, so a stale list is never shown)."""
    key, _, days = packed.partition(":")
    if not key or key != _coming_key(rule, first, tz_name, after, skipped_text, moved_text):
        return None
    return tuple(datetime.fromtimestamp(int(day), UTC) for day in days.split(",") if day)


def _coming_key(
    rule: str, first: datetime, tz_name: str, after: datetime, skipped_text: str, moved_text: str
) -> str:
    text = "|".join(
        (
            rule,
            str(int(as_utc(first).timestamp())),
            tz_name,
            str(int(as_utc(after).timestamp())),
            skipped_text,
            moved_text,
        )
    )
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def next_start(
    rule: str, first: datetime, tz_name: str, *, after: datetime, skipped: Iterable[datetime] = ()
) -> datetime | None:
    """The rule's first start after ``after`` (before any move); None when the series is over."""
    found = occurrences(rule, first, tz_name, after=after, skipped=skipped, limit=1)
    return found[0] if found else None


def start_on(rule: str, first: datetime, tz_name: str, day: date) -> datetime | None:
    """The series' start on the local ``day``, if it has one."""
    zone = ZoneInfo(tz_name)
    before = datetime.combine(day, time(0, 0)).replace(tzinfo=zone).astimezone(UTC) - timedelta(seconds=1)
    found = occurrences(rule, first, tz_name, after=before, limit=1)
    return found[0] if found and found[0].astimezone(zone).date() == day else None


@dataclass(frozen=True, slots=True)
class RuleParts:
    """A rule taken apart, for saying it in words (``bot/texts.py``)."""

    freq: str  # DAILY, WEEKLY, MONTHLY
    interval: int
    weekdays: tuple[int, ...]  # 0 = Monday
    nth: int | None  # with one weekday: its place in the month (-1: last)
    month_day: int | None
    count: int | None
    until: datetime | None


@lru_cache(maxsize=1024)
def describe(rule: str) -> RuleParts:
    fields: dict[str, str] = dict(part.split("=", 1) for part in rule.split(";"))
    weekdays: list[int] = []
    nth = None
    for day in filter(None, fields.get("BYDAY", "").split(",")):
        match = re.fullmatch(r"([+-]?\d)?([A-Z]{2})", day)
        if match is None:
            continue
        if match[1]:
            nth = int(match[1])
        weekdays.append(_WEEKDAYS.index(match[2].lower()))
    until = (
        datetime.strptime(fields["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if "UNTIL" in fields
        else None
    )
    return RuleParts(
        fields["FREQ"],
        int(fields.get("INTERVAL", "1")),
        tuple(weekdays),
        nth,
        int(fields["BYMONTHDAY"]) if "BYMONTHDAY" in fields else None,
        int(fields["COUNT"]) if "COUNT" in fields else None,
        until,
    )


def simple_rule(kind: str, start: datetime, tz_name: str) -> str:
    """The guided flow's choices from the first date: "weekly", "fortnightly" or "monthly"."""
    local = as_utc(start).astimezone(ZoneInfo(tz_name))
    day = _WEEKDAYS[local.weekday()].upper()
    if kind == "weekly":
        return f"FREQ=WEEKLY;BYDAY={day}"
    if kind == "fortnightly":
        return f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day}"
    if kind == "monthly":
        return f"FREQ=MONTHLY;BYMONTHDAY={local.day}"
    raise ValueError(kind)


def _rule_parts(form: str, found: re.Match[str]) -> list[str]:
    if form == "daily":
        return ["FREQ=DAILY"]
    if form == "weekdays":
        return ["FREQ=WEEKLY", "BYDAY=MO,TU,WE,TH,FR"]
    if form in ("weekly", "fortnightly"):
        days = _days(found["days"])
        return ["FREQ=WEEKLY", *(["INTERVAL=2"] if form == "fortnightly" else []), f"BYDAY={days}"]
    if form == "monthday":
        month_day = int(found["mday"])
        if not 1 <= month_day <= 31:
            raise InvalidField("repeat", "no_such_day", day=month_day)
        return ["FREQ=MONTHLY", f"BYMONTHDAY={month_day}"]
    nth = _ORDINALS[found["nth"].lower()]
    weekday = _WEEKDAYS[_day(found["day"])].upper()
    return ["FREQ=MONTHLY", f"BYDAY={nth}{weekday}"]


def _days(text: str) -> str:
    names = [word for word in re.split(r"\s*(?:,|and|&)\s*", text.lower()) if word]
    indexes = sorted({_day(name) for name in names})
    return ",".join(_WEEKDAYS[i].upper() for i in indexes)


def _day(name: str) -> int:
    index = _DAY_NAMES.get(name.lower())
    if index is None:
        raise InvalidField("repeat", "not_understood", text=name)
    return index


def _time_of_day(clock: str, tz_name: str) -> tuple[time, timedelta | None]:
    """The time (and length) in "19:00", "7pm-9pm", "19:30 for 2h", read on a plain day far from any
    clock change; a missing time is refused, as for one date."""
    if not clock:
        raise InvalidField("repeat", "no_time")
    probe = date(datetime.now(UTC).year + 1, 1, 15)
    try:
        when = dates.parse_when(f"{probe:%Y-%m-%d} {clock}", tz_name)
    except InvalidField as exc:
        raise InvalidField("repeat", "time_not_understood", text=clock) from exc
    local = when.starts_at.astimezone(ZoneInfo(tz_name))
    if local.date() != probe:
        raise InvalidField("repeat", "time_not_understood", text=clock)
    duration = when.ends_at - when.starts_at if when.ends_at is not None else None
    return local.time().replace(second=0, microsecond=0), duration


def _until(text: str, tz_name: str, now: datetime) -> datetime:
    """The last day of a series, to the end of that day in the zone (UTC, as RFC 5545 wants)."""
    try:
        day = dates.parse_day(text, tz_name, now=now)
    except InvalidField as exc:
        raise InvalidField("repeat", "until_not_understood", text=text[:40]) from exc
    end = datetime.combine(day, time(23, 59, 59)).replace(tzinfo=ZoneInfo(tz_name))
    return end.astimezone(UTC)


def _first_start(
    parts: list[str], at: time, zone: ZoneInfo, now: datetime, until: datetime | None
) -> datetime:
    today = as_utc(now).astimezone(zone).date()
    rule = _build(";".join(parts), datetime.combine(today, at), zone)
    for wall in rule:
        instant = wall.replace(tzinfo=zone).astimezone(UTC)
        if instant > as_utc(now):
            if until is not None and instant > until:
                raise InvalidField("repeat", "until_before_start", until=until, timezone=zone.key)
            return instant
    raise InvalidField("repeat", "no_date_ahead")


def _walls(rule: str, first: datetime, zone: ZoneInfo, after: datetime | None) -> Iterator[datetime]:
    start = as_utc(first).astimezone(zone).replace(tzinfo=None)
    built = _build(rule, start, zone)
    if after is None:
        yield from built
        return
    # Start a little before ``after`` rather than walking years of weekly dates on every render.
    since = after.astimezone(zone).replace(tzinfo=None) - timedelta(days=2)
    if since <= start:
        yield from built
        return
    closer = _closer_start(rule, start, since)
    if closer != start:
        built = _build(rule, closer, zone)
    yield from built.xafter(since, inc=True)


def _closer_start(rule: str, start: datetime, since: datetime) -> datetime:
    """A first date on or before ``since`` (both local wall times) that keeps the rule's rhythm: whole
    intervals later, so every-other weeks and months stay on the same ones. A rule with a COUNT keeps
    its real first date, since the count runs from there (and such a series is short anyway)."""
    parts = describe(rule)
    if parts.count is not None:
        return start
    if parts.freq in ("DAILY", "WEEKLY"):
        step = timedelta(days=parts.interval * (7 if parts.freq == "WEEKLY" else 1))
        return start + ((since - start) // step) * step
    # Monthly rules always name their days (BYMONTHDAY or BYDAY), so the first date may sit on the
    # 1st of a month: only its month and time of day matter.
    months = (since.year - start.year) * 12 + since.month - start.month
    months -= months % parts.interval
    while months > 0:
        year, month = divmod(start.month - 1 + months, 12)
        moved = start.replace(year=start.year + year, month=month + 1, day=1)
        if moved <= since:
            return moved
        months -= parts.interval
    return start


@lru_cache(maxsize=1024)
def _build(rule: str, dtstart: datetime, zone: ZoneInfo) -> rrule.rrule:
    """The rule from its first date: the parsed rule (kept per rule text, of which there are few) with
    that start. An rrule is not changed by iterating it, so sharing one is safe."""
    return _parsed(rule, zone).replace(dtstart=dtstart)


@lru_cache(maxsize=256)
def _parsed(rule: str, zone: ZoneInfo) -> rrule.rrule:
    """Reading the text is most of the cost of a rule, and a card of a series needs one on every view
    that misses ``_build``'s cache (each series starts on its own date): read each text once."""
    fields: dict[str, str] = dict(part.split("=", 1) for part in rule.split(";"))
    until = None
    if "UNTIL" in fields:
        until_utc = datetime.strptime(fields.pop("UNTIL"), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        until = until_utc.astimezone(zone).replace(tzinfo=None)
    text = ";".join(f"{k}={v}" for k, v in fields.items())
    # Any start does for reading: ``replace`` keeps only what the text said, so defaults the rule takes
    # from its start (a weekday, a day of the month) are taken again from the real one.
    parsed = rrule.rrulestr(f"RRULE:{text}", dtstart=datetime(2000, 1, 1), ignoretz=True)
    assert isinstance(parsed, rrule.rrule)
    return parsed.replace(until=until) if until is not None else parsed
