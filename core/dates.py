"""Read the dates and times people type, and show instants back to them unambiguously."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import dateparser

from core.errors import InvalidField

MAX_INPUT_LENGTH = 100
MAX_YEARS_AHEAD = 10

_LANGUAGES = ["en"]
# DMY: most users outside the US write 05/12 for 5 December. ISO YYYY-MM-DD is read as such regardless.
_SETTINGS: dict[str, Any] = {"DATE_ORDER": "DMY", "PREFER_DATES_FROM": "future"}

# Without one of these dateparser fills in the current time of day, which would be a silent wrong guess.
_TIME_RE = re.compile(
    r"""
    (?<![\d.:/-])(?:[01]?\d|2[0-3])[:h][0-5]\d(?![\d.:/])  # 19:30, 7:05, 19h30
    | \b(?:1[0-2]|0?\d)(?:[:.][0-5]\d)?\s*[ap]\.?m\b       # 7pm, 12:30 am, 7.30 p.m.
    | \b(?:noon|midday|midnight)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_DURATION_RE = re.compile(r"\b(?:hours?|hrs?|minutes?|mins?)\b", re.IGNORECASE)  # "in 3 hours"
_NEXT_RE = re.compile(r"\bnext\b", re.IGNORECASE)

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Host-dependent or placeholder entries that available_timezones() may list.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@dataclass(frozen=True, slots=True)
class When:
    starts_at: datetime
    ends_at: datetime | None = None


def parse_when(text: str, tz_name: str, *, now: datetime | None = None) -> When:
    """Parse what a person typed for "when", read in the zone ``tz_name``."""
    return When(_parse_start(text, tz_name, now=now))


def _parse_start(text: str, tz_name: str, *, now: datetime | None = None) -> datetime:
    tz = _zone(tz_name)
    now_utc = _as_utc(now or datetime.now(UTC))
    local_now = now_utc.astimezone(tz).replace(tzinfo=None)
    examples = f"“tomorrow 19:30”, “Fri 7pm” or “{local_now + timedelta(days=7):%Y-%m-%d} 19:30”"
    text = " ".join(text.split())  # also turns newlines and tabs into plain spaces
    if not text:
        raise InvalidField("when", f"Please say when, e.g. {examples}.")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidField("when", f"That's too long for a date and time. Try something like {examples}.")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidField("when", f"That contains characters I can't read. Try something like {examples}.")

    parsed = _dateparse(text, local_now)
    if parsed is None:
        raise InvalidField("when", f"I couldn't understand “{text}” as a date and time. Try {examples}.")
    if not (_TIME_RE.search(text) or _DURATION_RE.search(text)):
        day = f"{parsed.day} {_MONTHS[parsed.month - 1]} {parsed.year}"
        raise InvalidField("when", f"Please add a time, e.g. “{day} 19:30”.")
    parsed = parsed.replace(second=0, microsecond=0)
    if parsed.tzinfo is not None:
        # The person named a zone or offset themselves ("19:30 UTC"), so it wins over the chat's zone.
        instant = parsed.astimezone(UTC)
    elif _DURATION_RE.search(text):
        # "In 2 hours" is elapsed time; dateparser adds it to the wall clock, which is off across a DST change.
        instant = now_utc + (parsed - local_now)
    else:
        instant = _localise(_today_if_still_ahead(text, parsed, local_now), tz, tz_name)

    if instant <= now_utc:
        raise InvalidField(
            "when",
            f"That time is already in the past. Please pick a time that's still ahead, e.g. {examples}.",
        )
    if instant.astimezone(tz).year > local_now.year + MAX_YEARS_AHEAD:
        raise InvalidField(
            "when",
            f"That's too far in the future. Please pick a date before the end of "
            f"{local_now.year + MAX_YEARS_AHEAD}, e.g. {examples}.",
        )
    return instant


def resolve_timezone(text: str) -> str:
    """Turn "Europe/Paris", "europe/paris", "UTC" or a city such as "new york" into an IANA zone name."""
    name = _zone_index().get(_normalise(text)) if len(text) <= MAX_INPUT_LENGTH else None
    if name is None:
        shown = " ".join(text.split())[:40]
        problem = f"I don't know the time zone “{shown}”." if shown else "Please name a time zone."
        raise InvalidField(
            "timezone",
            f"{problem} Try a city such as “Paris” or “New York”, or a zone name such as “Europe/Paris”.",
        )
    return name


def is_valid_timezone(name: str) -> bool:
    """Whether ``name`` is exactly an IANA zone name this system knows."""
    return name in _zone_names()


def warm_up() -> None:
    """Load dateparser's language data and the zone list now, not on the first user's message."""
    parse_when("tomorrow 19:30", "UTC")
    _zone_index()


def _dateparse(text: str, local_base: datetime) -> datetime | None:
    try:
        return dateparser.parse(
            text, languages=_LANGUAGES, settings={**_SETTINGS, "RELATIVE_BASE": local_base}
        )
    except (ValueError, OverflowError):  # e.g. "in 99999999 years"
        return None


def _today_if_still_ahead(text: str, parsed: datetime, local_now: datetime) -> datetime:
    # On a Friday afternoon dateparser reads "Fri 19:30" as next week's Friday; people mean tonight.
    if parsed.date() != local_now.date() + timedelta(days=7) or _NEXT_RE.search(text):
        return parsed
    again = _dateparse(text, local_now - timedelta(days=1))
    if again is not None and again.tzinfo is None and again.date() == local_now.date() and again > local_now:
        return again.replace(second=0, microsecond=0)
    return parsed


def _localise(wall: datetime, tz: ZoneInfo, tz_name: str) -> datetime:
    # fold=0 takes the first of the two readings of an autumn overlap, i.e. still summer time.
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    back = instant.astimezone(tz).replace(tzinfo=None)
    if back != wall:  # only a wall time inside a spring-forward gap fails the round trip
        raise InvalidField(
            "when",
            f"{wall:%H:%M} on {_date_text(wall)} doesn't exist in {tz_name}: the clocks jump forward "
            f"then. Try {back:%H:%M} instead.",
        )
    return instant


def _zone(tz_name: str) -> ZoneInfo:
    if not is_valid_timezone(tz_name):
        raise InvalidField(
            "timezone", f"“{tz_name[:40]}” isn't a time zone I know. Try a zone name such as “Europe/Paris”."
        )
    return ZoneInfo(tz_name)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _date_text(day: datetime) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(plain.replace("_", " ").replace("-", " ").split())


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_ZONES)


@cache
def _zone_index() -> dict[str, str]:
    """Normalised full names and city names -> zone name. Area/City names beat legacy bare ones."""
    names = _zone_names()
    index = {_normalise(name): name for name in names if "/" in name}
    # Fewest slashes first, so "Indianapolis" maps to America/Indianapolis, not America/Indiana/...
    for name in sorted(names, key=lambda n: (n.count("/"), n)):
        # Etc/GMT+5 is UTC-5; matching "GMT+5" to it would silently invert the offset.
        if "/" in name and not name.startswith("Etc/"):
            index.setdefault(_normalise(name.rsplit("/", 1)[1]), name)
    for name in names:
        index.setdefault(_normalise(name), name)
    return index
