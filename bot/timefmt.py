"""Instants, durations and dates as people read them: "Fri 4 Dec 2026, 19:30 CET (Europe/Paris)"."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    get_datetime_format,
    get_day_names,
)
from babel.lists import format_list

from bot import i18n
from bot.i18n import _, ngettext
from core.clock import as_utc, now_or

# Dates as each language writes them (CLDR, through Babel): a weekday, the day and the month, the year
# where it matters. English keeps the order its cards always had ("Fri 4 Dec 2026"); the other
# languages take their locale's own pattern for the same fields ("пт, 4 дек. 2026").
_ENGLISH_PATTERNS = {"date": "EEE d MMM y", "day": "EEE d MMM", "short": "EEE d MMM, HH:mm"}
_SKELETONS = {"date": "yMMMEd", "day": "MMMEd"}


@lru_cache(maxsize=8192)
def _format(value: date, kind: str, locale: str) -> str:
    if locale == "en_GB":
        if isinstance(value, datetime):
            return format_datetime(value, _ENGLISH_PATTERNS[kind], locale=locale)
        return format_date(value, _ENGLISH_PATTERNS[kind], locale=locale)
    if kind == "short":  # the day, then the time, joined as the locale joins them ("{1}, {0}")
        assert isinstance(value, datetime)
        day = format_skeleton(_SKELETONS["day"], value.date(), locale=locale)
        return _join(day, f"{value:%H:%M}", locale)
    return format_skeleton(_SKELETONS[kind], value, locale=locale)


def format_when(instant: datetime, tz_name: str) -> str:
    """``instant`` in the zone, with weekday, date, 24-hour time and zone, so a wrong guess shows at once.

    A naive ``instant`` is UTC.
    """
    local = as_utc(instant).astimezone(ZoneInfo(tz_name))
    abbreviation = local.tzname() or tz_name
    if abbreviation[0] in "+-":  # zones without a letter abbreviation report "-03"
        abbreviation = f"UTC{abbreviation}"
    zone = abbreviation if abbreviation == tz_name else f"{abbreviation} ({tz_name})"
    return f"{_join(date_text(local), f'{local:%H:%M}', i18n.babel_locale())} {zone}"


def _join(day: str, time: str, locale: str) -> str:
    """A date and a time as the language joins them: "Fri 4 Dec 2026, 19:30"."""
    return _joiner(locale).replace("{1}", day).replace("{0}", time)


@lru_cache(maxsize=32)
def _joiner(locale: str) -> str:
    return "{1}, {0}" if locale == "en_GB" else str(get_datetime_format("medium", locale=locale))


def format_end(start: datetime, end: datetime, tz_name: str) -> str:
    """How an end reads after its start: an en dash and "22:00" the same day, "→ Sat 6 Dec, 02:00" another."""
    if ends_same_day(start, end, tz_name):
        return f"–{format_time(end, tz_name)}"
    return f"→ {format_short(end, tz_name)}"


def ends_same_day(start: datetime, end: datetime, tz_name: str) -> bool:
    zone = ZoneInfo(tz_name)
    return as_utc(start).astimezone(zone).date() == as_utc(end).astimezone(zone).date()


def format_time(instant: datetime, tz_name: str) -> str:
    """ "22:00": the 24-hour time in the zone."""
    return f"{as_utc(instant).astimezone(ZoneInfo(tz_name)):%H:%M}"


def format_short(instant: datetime, tz_name: str) -> str:
    """ "Sat 6 Dec, 02:00": a moment near an event's own time, in its zone, without year or zone."""
    local = as_utc(instant).astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)
    return _format(local, "short", i18n.babel_locale())


def format_day(instant: datetime, tz_name: str) -> str:
    """ "Tue 9 Dec": a date near the event's own, in its zone."""
    local = as_utc(instant).astimezone(ZoneInfo(tz_name))
    return _format(local.date(), "day", i18n.babel_locale())


def date_text(day: date) -> str:
    """ "Fri 4 Dec 2026"."""
    if isinstance(day, datetime):
        day = day.date()
    return _format(day, "date", i18n.babel_locale())


def wall_text(wall: datetime) -> str:
    """A local date and time with no zone, as typed back in an example: "2026-12-05 19:30"."""
    return f"{wall:%Y-%m-%d %H:%M}"


def describe_delta(instant: datetime, now: datetime | None = None) -> str:
    """How far away ``instant`` is: "in 3 hours", "started 10 minutes ago", "now"; naive means UTC."""
    seconds = (as_utc(instant) - as_utc(now_or(now))).total_seconds()
    minutes = int(abs(seconds) / 60 + 0.5)
    if minutes == 0:
        return _("now")
    hours = int(minutes / 60 + 0.5)
    days = int(minutes / 1440 + 0.5)
    if minutes < 60:
        span = plural(minutes, "minute")
    elif hours < 24:
        span = plural(hours, "hour")
    else:
        span = plural(days, "day")
    return (_("in {span}") if seconds > 0 else _("started {span} ago")).format(span=span)


def describe_seconds(seconds: int) -> str:
    """ "45 seconds", "2 minutes": a wait, rounded up to what a person would read."""
    if seconds < 60:
        return plural(seconds, "second")
    return plural((seconds + 59) // 60, "minute")


def describe_offsets(minutes: tuple[int, ...]) -> str:
    """ "1 day and 1 hour before the start", or "off"."""
    if not minutes:
        return _("off")
    parts = []
    for total in minutes:
        days, rest = divmod(total, 1440)
        hours, mins = divmod(rest, 60)
        units = [(days, "day"), (hours, "hour"), (mins, "minute")]
        parts.append(" ".join(plural(n, unit) for n, unit in units if n))
    return _("{offsets} before the start").format(offsets=list_text(parts))


def plural(count: int, unit: str) -> str:
    """ "1 day", "3 hours": a count of seconds, minutes, hours or days, in the current language."""
    if unit == "second":
        text = ngettext("{count} second", "{count} seconds", count)
    elif unit == "minute":
        text = ngettext("{count} minute", "{count} minutes", count)
    elif unit == "hour":
        text = ngettext("{count} hour", "{count} hours", count)
    else:
        text = ngettext("{count} day", "{count} days", count)
    return text.format(count=count)


def list_text(items: list[str]) -> str:
    """ "a, b and c" as the language writes a list (CLDR, through Babel)."""
    if len(items) <= 1:
        return "".join(items)
    return format_list(items, locale=i18n.babel_locale())


def weekday_name(day: int) -> str:
    """ "Tuesday" (0 is Monday), in the current language (CLDR)."""
    return _weekday_names(i18n.babel_locale())[day]


@lru_cache(maxsize=32)
def _weekday_names(locale: str) -> tuple[str, ...]:
    names = get_day_names("wide", context="stand-alone", locale=locale)
    return tuple(str(names[day]) for day in range(7))
