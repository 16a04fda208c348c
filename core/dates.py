"""Read what people type for "when": a start instant, and an end when they give a range or a duration.

The time of day always comes from the text. ``dateparser`` reads the date; the time-of-day tokens are
recognised here first (``19:30``, ``7pm``, ``19h``, ``19.30``, ``1930`` after a day), handed to it in one
plain form, and its answer is refused when its hour and minute differ from them: on text it only half
understands it fills in the current time of day, which would be a silent wrong guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import dateparser
from dateparser.languages import default_loader

from core.clock import as_utc
from core.errors import InvalidField

MAX_INPUT_LENGTH = 100
MAX_YEARS_AHEAD = 10


@dataclass(frozen=True, slots=True)
class When:
    """When an event happens, as aware UTC instants; ``ends_at`` only when the text gave a range or length."""

    starts_at: datetime
    ends_at: datetime | None


_LANGUAGES = ("en",)
# Said in another language, a time of day gets the form the tokens below read: "19 Uhr" is 19:00.
_UHR_RE = re.compile(r"\b(?P<hour>[01]?\d|2[0-3])\s*Uhr(?:\s*(?P<minute>[0-5]\d))?\b", re.IGNORECASE)
# German "am Freitag": dateparser, reading English too, takes "am" for the morning.
_GERMAN_AM_RE = re.compile(r"\bam\s+(?=[^\W\d])", re.IGNORECASE)
# Persian and Arabic-Indic digits, as phones type them, become ASCII digits.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# DMY: most users outside the US write 05/12 for 5 December. ISO YYYY-MM-DD is read as such regardless.
_SETTINGS: dict[str, Any] = {"DATE_ORDER": "DMY", "PREFER_DATES_FROM": "future"}

_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs?|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY_WORD = rf"(?:today|tonight|tomorrow|{_WEEKDAY})"
_WEEKDAY_RE = re.compile(rf"\b{_WEEKDAY}\b", re.IGNORECASE)
_WEEKDAY_INDEX = {name: index for index, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Candidates for a time of day. Dotted and four-digit ones are confirmed by their context in _time_tokens.
_TIME_RE = re.compile(
    r"""
    (?:(?<=\dT)|(?<![\w.:/+\-]))   # not glued to another number, a sign or a word; ISO's "T19:30" is fine
    (?:
        (?P<h12>1[0-2]|0?[1-9])(?:[:.](?P<m12>[0-5]\d))?\s*(?P<meridiem>[ap])\.?m\b\.?  # 7pm, 7:30 p.m.
      | (?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)(?::[0-5]\d)?h?(?![\d:])(?!\s*[ap]\.?m\b)  # 19:30, 19:30:00
      | (?P<hh>[01]?\d|2[0-3])h(?P<mh>[0-5]\d)?\b                                        # 19h, 19h30
      | (?P<hd>[01]?\d|2[0-3])\.(?P<md>[0-5]\d)h?(?![\w.])                               # 19.30
      | (?P<h4>[01]\d|2[0-3])(?P<m4>[0-5]\d)(?![\w.:/\-])                                # 1930
      | (?:12\s*)?(?P<word>noon|midday|midnight)\b
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_WORD_TIMES = {"noon": 12, "midday": 12, "midnight": 0}
# "in 2h" is a delay, not two o'clock.
_DELAY_BEFORE_RE = re.compile(r"\b(?:in|for)\s*$", re.IGNORECASE)
# A four-digit 1930 is a time only right after a day; after "5 Dec" it is more likely a year.
_FOUR_DIGITS_AFTER_RE = re.compile(
    rf"(?:\b(?:{_DAY_WORD}|at)|\b\d{{4}}|\d{{4}}-\d\d?-\d\d?|\b\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}})\s+$",
    re.IGNORECASE,
)
# A dotted 10.12 that could be 10 December is a time only when the day is given some other way.
_DATE_HINT_RE = re.compile(
    rf"\b(?:today|tonight|tomorrow|{_MONTH})\b|\d{{4}}-\d\d?-\d\d?|\b\d{{1,2}}[./-]\d{{1,2}}\b"
    r"|\bin\s+\d+\s+(?:days?|weeks?)\b",
    re.IGNORECASE,
)
_DAY_NAMED_RE = re.compile(
    rf"{_DATE_HINT_RE.pattern}|\b(?:{_WEEKDAY}|next|week|\d+(?:st|nd|rd|th))\b", re.IGNORECASE
)
_DAY_MONTH_RE = re.compile(r"(?<![\w.:/+\-])(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)(?![\w.])")
# An hour with nothing to say morning or evening ("tomorrow at 7", "next monday 9") is refused, not guessed.
_BARE_HOUR_RE = re.compile(
    rf"(?:^|\bat\s+|@\s*|\b{_DAY_WORD}\s+(?:at\s+)?)(?P<hour>\d{{1,2}})(?![\d.:/\-])"
    rf"(?!\s*(?:st|nd|rd|th)\b)(?!\s+{_MONTH}\b)",
    re.IGNORECASE,
)
_BARE_HOUR_RANGE_RE = re.compile(
    rf"(?:^|\b(?:at|from|{_DAY_WORD})\s+)\d{{1,2}}\s*-\s*\d{{1,2}}(?![\d./:\-])", re.IGNORECASE
)
# The start of "7-9pm": a bare hour that the end's am/pm completes.
_BARE_START_RE = re.compile(rf"(?:^|\b(?:at|from|{_DAY_WORD})\s+)(?P<hour>\d{{1,2}})$", re.IGNORECASE)

_HOURS = r"(?:hours?|hrs?|h)(?![a-z])"
_MINUTES = r"(?:minutes?|mins?|m)(?![a-z])"
_DURATION_RE = re.compile(
    rf"""
    (?P<hours>\d{{1,3}}(?:[.,]\d{{1,2}})?)\s*{_HOURS}(?:\s*(?:and\s+)?(?P<extra>\d{{1,2}})\s*(?:{_MINUTES})?)?
  | (?P<minutes>\d{{1,4}})\s*{_MINUTES}
  | (?:an?|one)\s+hour
  | (?P<half>half\s+an?\s+hour)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_IN_RE = re.compile(r"in\s+", re.IGNORECASE)
_UNITS_RE = re.compile(r"\b(?:hours?|hrs?|minutes?|mins?)\b|\d\s*h\b", re.IGNORECASE)
# What no time token matched but was meant as one: "24:00", "19:30 pm", "13pm".
_TIME_LIKE_RE = re.compile(r"\d:\d|\d\s*[ap]\.?m\b", re.IGNORECASE)

_FROM_RE = re.compile(r"from\s+", re.IGNORECASE)
_BETWEEN_RE = re.compile(r"between\s+(?P<start>.+?)\s+and\s+(?P<end>.+)", re.IGNORECASE)
_FOR_RE = re.compile(r"(?:^|\s+)for(?:\s+|$)", re.IGNORECASE)
_SEPARATOR_RE = re.compile(
    r"(?:^|\s+)(?:to|until|till|til|through|thru)(?:\s+|$)|\s*[\u2010-\u2015\u2212]+\s*|\s*-+\s*",
    re.IGNORECASE,
)
_OFFSET_RE = re.compile(r"\d\d:?\d\d")
_ISO_BEFORE_OFFSET_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?$")
_PLAIN_DAY_RE = re.compile(
    r"(?P<word>today|tonight|tomorrow)|(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)T?", re.IGNORECASE
)
_AT_RE = re.compile(r"^(?:at\s+|@\s*)", re.IGNORECASE)
_TRAILING_AT_RE = re.compile(r"\s*(?:\bat|@)?\s*$", re.IGNORECASE)
_NEXT_RE = re.compile(r"\bnext\b", re.IGNORECASE)
_TODAY_RE = re.compile(r"\b(?:today|tonight)\b", re.IGNORECASE)
_TOMORROW_RE = re.compile(r"\btomorrow\b", re.IGNORECASE)

# What one side of a range can fail with that makes the whole range unreadable rather than wrong.
_UNREADABLE = frozenset({"not_understood", "time_not_understood", "no_time", "past_day"})
# Host-dependent or placeholder entries that available_timezones() may list.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


def parse_when(text: str, tz_name: str, *, now: datetime | None = None, language: str = "en") -> When:
    """Parse what a person typed for "when", read in the zone ``tz_name``: a start, and maybe an end.

    ``language`` (a code such as "ru" or "pt_BR") is the chat's: dates are read in it and in English.
    """
    tz = _zone(tz_name)
    now_utc = as_utc(now or datetime.now(UTC))
    local_now = now_utc.astimezone(tz).replace(tzinfo=None)
    example = datetime.combine(local_now.date() + timedelta(days=7), time(19, 30))
    text = " ".join(text.split())  # also turns newlines and tabs into plain spaces
    languages = _languages(language)
    if languages != _LANGUAGES:
        text = _in_plain_form(text, languages[0])
    if not text:
        raise InvalidField("when", "empty", example=example)
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidField("when", "too_long", example=example)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidField("when", "unreadable_characters", example=example)
    reading = _Reading(text, tz, tz_name, now_utc, local_now, example, languages)

    start_text, end_text, duration = _split_range(reading)
    if end_text is None and duration is None:
        start = reading.moment(start_text)
    else:
        start = reading.side(start_text)
    if start.instant <= now_utc:
        raise InvalidField("when", "past", instant=start.instant, timezone=tz_name, example=example)
    reading.check_exists(start)
    reading.check_not_too_far(start.instant)
    if duration is not None:
        end = _at(start.instant + duration, start.zone)
    elif end_text is not None:
        end = reading.end(start, end_text)
    else:
        return When(start.instant, None)
    if end.instant <= start.instant:
        raise InvalidField("when", "end_before_start", start=start.instant, end=end.instant, timezone=tz_name)
    reading.check_exists(end)
    reading.check_not_too_far(end.instant)
    return When(start.instant, end.instant)


def parse_end(text: str, starts_at: datetime, tz_name: str, *, language: str = "en") -> datetime:
    """Read an event's new end on its own: "22:00" (the start's day, or the next morning), "Sun 02:00",
    or "2h" / "for 2h" after the start. Refused if it is not after the start."""
    tz = _zone(tz_name)
    example = datetime.combine(as_utc(starts_at).astimezone(tz).date(), time(22, 0))
    text = " ".join(text.split())
    if not text or len(text) > MAX_INPUT_LENGTH or any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidField("end", "not_understood", text=text[:40], example=example)
    start = _at(as_utc(starts_at), tz)
    # A day named in the end ("Sat 02:00") is the first such day from the start, not from today.
    languages = _languages(language)
    if languages != _LANGUAGES:
        text = _in_plain_form(text, languages[0])
    reading = _Reading(text, tz, tz_name, start.instant, start.wall, example, languages)
    duration = _duration_minutes(re.sub(r"^for\s+", "", text, flags=re.IGNORECASE))
    try:
        end = _at(start.instant + timedelta(minutes=duration), tz) if duration else reading.end(start, text)
    except InvalidField as exc:
        raise InvalidField("end", "not_understood", text=text, example=example) from exc
    if end.instant <= start.instant:
        raise InvalidField("end", "end_before_start", start=start.instant, end=end.instant, timezone=tz_name)
    reading.check_exists(end)
    reading.check_not_too_far(end.instant)
    return end.instant


def parse_day(text: str, tz_name: str, *, now: datetime | None = None, language: str = "en") -> date:
    """Read a day that lies ahead ("1 March", "2027-03-01", "next Friday"); a time in it is ignored."""
    try:
        when = parse_when(text, tz_name, now=now, language=language)
    except InvalidField as exc:
        if exc.reason == "no_time":
            day = exc.params["day"]
            assert isinstance(day, date)
            return day
        raise
    return when.starts_at.astimezone(_zone(tz_name)).date()


def same_clock_time_shift(instant: datetime, old_zone: str, new_zone: str) -> timedelta:
    """How far ``instant`` moves to show the same clock time in ``new_zone`` as it did in ``old_zone``."""
    wall = as_utc(instant).astimezone(_zone(old_zone)).replace(tzinfo=None)
    moved, _ = _localise(wall, _zone(new_zone))
    return moved - as_utc(instant)


def resolve_timezone(text: str) -> str:
    """Turn "Europe/Paris", "europe/paris", "UTC" or a city such as "new york" into an IANA zone name."""
    name = _zone_index().get(_normalise(text)) if len(text) <= MAX_INPUT_LENGTH else None
    if name is None:
        shown = " ".join(text.split())[:40]
        if not shown:
            raise InvalidField("timezone", "missing")
        raise InvalidField("timezone", "unknown", text=shown)
    return name


def is_valid_timezone(name: str) -> bool:
    """Whether ``name`` is exactly an IANA zone name this system knows."""
    return name in _zone_names()


def warm_up() -> None:
    """Load dateparser's language data and the zone list now, not on the first user's message."""
    parse_when("tomorrow 19:30-22:00", "UTC")
    parse_when("next fri 7pm", "UTC")
    for language in ("ru", "es", "pt", "de", "fa"):
        _dateparse("tomorrow 19:30", datetime(2026, 1, 1), (language, "en"))
    _zone_index()


@dataclass(frozen=True, slots=True)
class _Token:
    """A time of day found in the text, at ``start:end``."""

    start: int
    end: int
    hour: int
    minute: int
    meridiem: bool  # am/pm was written, or a word that leaves no doubt (noon)
    could_be_pm: bool  # "7:30" or "7": a range's am/pm may complete it ("7:30-9pm")


@dataclass(frozen=True, slots=True)
class _Moment:
    wall: datetime  # naive, in ``zone``
    zone: tzinfo
    instant: datetime  # aware UTC
    exists: bool  # False for a wall time inside a spring-forward gap


@dataclass(frozen=True, slots=True)
class _Reading:
    """One call of parse_when: the cleaned text, the zone and the moment it is read at."""

    text: str
    tz: ZoneInfo
    tz_name: str
    now_utc: datetime
    local_now: datetime
    example: datetime
    languages: tuple[str, ...] = _LANGUAGES

    def refuse(self, reason: str) -> InvalidField:
        return InvalidField("when", reason, text=self.text, example=self.example)

    def moment(self, text: str) -> _Moment:
        """Read one point in time (no range); the caller checks it lies ahead."""
        tokens = _time_tokens(text)
        if not tokens:
            return self._without_time_of_day(text)
        if len(tokens) > 1:
            raise self.refuse("time_not_understood")
        (token,) = tokens
        if (day := self._plain_day(_without(text, token))) is not None:
            wall = datetime.combine(day, time(token.hour, token.minute))
            return _Moment(wall, self.tz, *_localise(wall, self.tz))
        plain = _day_month_in_words(
            f"{text[: token.start]}{token.hour:02d}:{token.minute:02d}{text[token.end :]}"
        )
        parsed = _dateparse(plain, self.local_now, self.languages)
        if parsed is None:
            raise self.refuse("not_understood")
        if (parsed.hour, parsed.minute) != (token.hour, token.minute):
            raise self.refuse("time_not_understood")
        if not _agrees_with_day_words(text, parsed.date(), self.local_now, self.languages):
            raise self.refuse("not_understood")
        parsed = parsed.replace(second=0, microsecond=0)
        if parsed.tzinfo is not None:
            # The person named a zone or offset themselves ("19:30 UTC"), so it wins over the chat's zone.
            return _Moment(parsed.replace(tzinfo=None), parsed.tzinfo, parsed.astimezone(UTC), True)
        wall = self._today_if_still_ahead(text, plain, parsed)
        return _Moment(wall, self.tz, *_localise(wall, self.tz))

    def _plain_day(self, rest: str) -> date | None:
        """The day of the commonest texts, "tomorrow" or "2026-12-05" around the time, without dateparser."""
        match = _PLAIN_DAY_RE.fullmatch(
            " ".join(word for word in rest.split() if word.lower() not in {"at", "@"})
        )
        if match is None:
            return None
        today = self.local_now.date()
        if match["word"]:
            return today + timedelta(days=1) if match["word"].lower() == "tomorrow" else today
        try:
            return date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError:  # 2027-02-30: let dateparser refuse it
            return None

    def side(self, text: str) -> _Moment:
        """Read one side of a range: what leaves it unreadable makes the whole range unreadable."""
        try:
            return self.moment(text)
        except InvalidField as exc:
            if exc.reason in _UNREADABLE:
                raise self.refuse("range_not_understood") from exc
            raise

    def end(self, start: _Moment, text: str) -> _Moment:
        tokens = _time_tokens(text, loose=True)
        if len(tokens) == 1 and not _AT_RE.sub("", _without(text, tokens[0])).strip():
            # A time alone ends on the start's day, or the next one when it is earlier ("22:00-02:00").
            wall = datetime.combine(start.wall.date(), time(tokens[0].hour, tokens[0].minute))
            if wall < start.wall:
                wall += timedelta(days=1)
            return _Moment(wall, start.zone, *_localise(wall, start.zone))
        end = self.side(text)
        if _day_words(self.languages[0]).names_a_day.search(text):
            return end
        # "tomorrow 19:30 - 22:00 UTC": an end with a zone but no day ends on the start's day.
        wall = datetime.combine(start.instant.astimezone(end.zone).date(), end.wall.time())
        if wall < start.instant.astimezone(end.zone).replace(tzinfo=None):
            wall += timedelta(days=1)
        return _Moment(wall, end.zone, *_localise(wall, end.zone))

    def check_exists(self, moment: _Moment) -> None:
        if not moment.exists:
            suggestion = moment.instant.astimezone(moment.zone).replace(tzinfo=None)
            raise InvalidField(
                "when", "skipped_by_dst", wall=moment.wall, suggestion=suggestion, timezone=self.tz_name
            )

    def check_not_too_far(self, instant: datetime) -> None:
        last_year = self.local_now.year + MAX_YEARS_AHEAD
        if instant.astimezone(self.tz).year > last_year:
            raise InvalidField("when", "too_far", last_year=last_year, example=self.example)

    def _without_time_of_day(self, text: str) -> _Moment:
        delay = _IN_RE.match(text)
        minutes = _duration_minutes(text[delay.end() :]) if delay else None
        if minutes is not None:
            # "In 2 hours" is elapsed time, also across a DST change.
            return _at((self.now_utc + timedelta(minutes=minutes)).replace(second=0, microsecond=0), self.tz)
        if _UNITS_RE.search(text) or _TIME_LIKE_RE.search(text):
            raise self.refuse("time_not_understood")
        if _BARE_HOUR_RANGE_RE.search(text):
            raise self.refuse("range_not_understood")
        bare = _BARE_HOUR_RE.search(text)
        if bare and int(bare["hour"]) <= 24:
            day = self._day(_TRAILING_AT_RE.sub("", text[: bare.start("hour")]) + text[bare.end() :])
            example = _example_on(day, self.local_now) if day else None
            raise InvalidField("when", "time_not_understood", text=self.text, example=example or self.example)
        day = self._day(text)
        if day is None:
            raise self.refuse("not_understood")
        if day < self.local_now.date():
            raise InvalidField("when", "past_day", day=day, example=self.example)
        raise InvalidField(
            "when", "no_time", day=day, example=_example_on(day, self.local_now) or self.example
        )

    def _day(self, text: str) -> date | None:
        """The day a text without a time of day names, if it is understood."""
        parsed = _dateparse(_day_month_in_words(text), self.local_now, self.languages) if text else None
        if parsed is None or not _agrees_with_day_words(text, parsed.date(), self.local_now, self.languages):
            return None
        today = self.local_now.date()
        if parsed.date() == today + timedelta(days=7) and not _NEXT_RE.search(text):
            # "Friday" said on a Friday is today, as "Fri 19:30" is (if a time is still ahead today).
            if _example_on(today, self.local_now) is not None:
                return today
        return parsed.date()

    def _today_if_still_ahead(self, text: str, plain: str, parsed: datetime) -> datetime:
        # On a Friday afternoon dateparser reads "Fri 19:30" as next week's Friday; people mean tonight.
        local_now = self.local_now
        if parsed.date() != local_now.date() + timedelta(days=7) or _NEXT_RE.search(text):
            return parsed
        again = _dateparse(plain, local_now - timedelta(days=1), self.languages)
        if (
            again is not None
            and again.tzinfo is None
            and again.date() == local_now.date()
            and again > local_now
        ):
            return again.replace(second=0, microsecond=0)
        return parsed


def _split_range(reading: _Reading) -> tuple[str, str | None, timedelta | None]:
    """Split the text into a start, and an end or a duration; refuse what looks like a range half-read."""
    text = reading.text
    if between := _BETWEEN_RE.fullmatch(text):
        return *_with_times_completed(reading, between["start"], between["end"]), None
    if start_of_range := _FROM_RE.match(text):
        text = text[start_of_range.end() :]
    separators = _separators(reading, text)
    if length := _FOR_RE.search(text):
        minutes = _duration_minutes(text[length.end() :])
        if separators or minutes is None or length.start() == 0:
            raise reading.refuse("range_not_understood")
        return text[: length.start()], None, timedelta(minutes=minutes)
    if not separators:
        return text, None, None
    if len(separators) > 1:
        raise reading.refuse("range_not_understood")
    ((cut_start, cut_end),) = separators
    start_text, end_text = text[:cut_start].strip(), text[cut_end:].strip()
    if not start_text or not end_text:
        raise reading.refuse("range_not_understood")
    return *_with_times_completed(reading, start_text, end_text), None


def _separators(reading: _Reading, text: str) -> list[tuple[int, int]]:
    found = []
    for match in _SEPARATOR_RE.finditer(text):
        left, right = text[: match.start()], text[match.end() :]
        separator = match.group()
        if "-" not in separator or not left or not right:
            found.append(match.span())
        elif separator[0].isspace() and separator[-1].isspace():
            found.append(match.span())  # "22:00 - Sun 02:00"
        elif separator[0].isspace():
            offset = _OFFSET_RE.fullmatch(right)
            if not (offset and int(right[:2]) <= 14):  # "19:30 -05:00" is a UTC offset
                found.append(match.span())
        elif separator[-1].isspace():
            found.append(match.span())
        elif _ISO_BEFORE_OFFSET_RE.search(left) and _OFFSET_RE.fullmatch(right) and int(right[:2]) <= 14:
            continue  # 2026-12-05T19:30-05:00
        else:
            before = _time_tokens(left)
            ends_with_time = bool(before) and before[-1].end == len(left)
            after = _time_tokens(right, loose=ends_with_time)
            starts_with_time = bool(after) and after[0].start == 0
            if starts_with_time and (ends_with_time or _BARE_START_RE.search(left)):
                found.append(match.span())  # "19:30-22:00", "7-9pm"
            elif starts_with_time or ends_with_time:
                raise reading.refuse("range_not_understood")  # "19:30-late", "Dec 5-7pm"
            # Otherwise the hyphen is part of a date: 2026-12-05, 05-12-2026.
    return found


def _with_times_completed(reading: _Reading, start_text: str, end_text: str) -> tuple[str, str]:
    """Give the start the end's date words and am/pm when it has none ("7-9pm tomorrow")."""
    start_tokens = _time_tokens(start_text)
    end_tokens = _time_tokens(end_text, loose=bool(start_tokens) and start_tokens[-1].end == len(start_text))
    if not end_tokens:
        return start_text, end_text
    first = end_tokens[0]
    bare = None if start_tokens else _BARE_START_RE.search(start_text)
    start_time_only = not _AT_RE.sub("", _without(start_text, *start_tokens)).strip() or bare is not None
    if first.start == 0 and start_time_only and len(end_tokens) == 1 and end_text[first.end :].strip():
        start_text = f"{start_text} {end_text[first.end :].strip()}"  # "19:30-22:00 Fri"
        end_text = end_text[: first.end]
    if len(end_tokens) != 1 or _AT_RE.sub("", _without(end_text, first)).strip():
        if bare:
            raise reading.refuse("range_not_understood")
        return start_text, end_text
    end_minutes = first.hour * 60 + first.minute
    if bare is not None:
        if not first.meridiem or not 1 <= int(bare["hour"]) <= 12:
            raise reading.refuse("range_not_understood")  # "7-21:00" or "tomorrow 7 to 9"
        hour = int(bare["hour"]) % 12
        start_minutes = _reading_before(hour * 60, end_minutes)
        start_text = (
            f"{start_text[: bare.start('hour')]}{_clock(start_minutes)}{start_text[bare.end('hour') :]}"
        )
    elif len(start_tokens) == 1:
        token = start_tokens[0]
        if token.could_be_pm and first.meridiem:  # "7:30-9pm" is 19:30 to 21:00
            start_minutes = _reading_before((token.hour % 12) * 60 + token.minute, end_minutes)
            start_text = _replace(start_text, token, start_minutes)
        elif first.could_be_pm and token.meridiem:  # "7pm-9:30" ends at 21:30
            start_minutes = token.hour * 60 + token.minute
            end_minutes = (first.hour % 12) * 60 + first.minute
            if not 0 < (end_minutes - start_minutes) % 1440 <= 720:
                end_minutes += 720
            end_text = _replace(end_text, first, end_minutes % 1440)
    return start_text, end_text


def _reading_before(morning_minutes: int, end_minutes: int) -> int:
    """Of a morning time and the same time in the evening, the one in the 12 hours up to the end."""
    return morning_minutes if 0 < (end_minutes - morning_minutes) % 1440 <= 720 else morning_minutes + 720


def _replace(text: str, token: _Token, minutes: int) -> str:
    return f"{text[: token.start]}{_clock(minutes)}{text[token.end :]}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _without(text: str, *tokens: _Token) -> str:
    for token in sorted(tokens, key=lambda t: t.start, reverse=True):
        text = f"{text[: token.start]} {text[token.end :]}"
    return text


def _time_tokens(text: str, *, loose: bool = False) -> list[_Token]:
    """The times of day written in ``text``. ``loose`` takes a bare 1930 as a time (the end of a range)."""
    tokens = []
    dotted = []
    for match in _TIME_RE.finditer(text):
        start, end = match.span()
        if match["h12"]:
            hour = int(match["h12"]) % 12 + (12 if match["meridiem"].lower() == "p" else 0)
            tokens.append(_Token(start, end, hour, int(match["m12"] or 0), True, False))
        elif match["h24"]:
            hour_text = match["h24"]
            could_be_pm = not hour_text.startswith("0") and 1 <= int(hour_text) <= 12
            tokens.append(_Token(start, end, int(hour_text), int(match["m24"]), False, could_be_pm))
        elif match["hh"]:
            if not _DELAY_BEFORE_RE.search(text, 0, start):
                tokens.append(_Token(start, end, int(match["hh"]), int(match["mh"] or 0), False, False))
        elif match["hd"]:
            dotted.append(match)
        elif match["h4"]:
            if loose or _FOUR_DIGITS_AFTER_RE.search(text, 0, start):
                tokens.append(_Token(start, end, int(match["h4"]), int(match["m4"]), False, False))
        else:
            tokens.append(_Token(start, end, _WORD_TIMES[match["word"].lower()], 0, True, False))
    for match in dotted:
        hour, minute = int(match["hd"]), int(match["md"])
        could_be_a_date = 1 <= hour and 1 <= minute <= 12  # 05.12 is 5 December as much as 05:12
        if could_be_a_date:
            rest = _without(text, _Token(*match.span(), hour, minute, False, False))
            if tokens or len(dotted) > 1 or not _DATE_HINT_RE.search(rest):
                continue
        could_be_pm = not match["hd"].startswith("0") and 1 <= hour <= 12
        tokens.append(_Token(*match.span(), hour, minute, False, could_be_pm))
    return sorted(tokens, key=lambda token: token.start)


def _day_month_in_words(text: str) -> str:
    """05.12 -> 5 Dec: dateparser reads a dotted day and month without a year as a time."""
    return _DAY_MONTH_RE.sub(_day_month_words, text) if "." in text else text


def _day_month_words(match: re.Match[str]) -> str:
    day, month = int(match["day"]), int(match["month"])
    return f"{day} {_MONTH_NAMES[month - 1]}" if 1 <= day <= 31 and 1 <= month <= 12 else match.group()


def _duration_minutes(text: str) -> int | None:
    match = _DURATION_RE.fullmatch(text.strip())
    if match is None:
        return None
    if match["hours"]:
        return round(float(match["hours"].replace(",", ".")) * 60) + int(match["extra"] or 0)
    if match["minutes"]:
        return int(match["minutes"])
    return 30 if match["half"] else 60


def _agrees_with_day_words(
    text: str, day: date, local_now: datetime, languages: tuple[str, ...] = _LANGUAGES
) -> bool:
    """Whether the date read matches the "today", "tomorrow" or weekday written (in English or the
    chat's language): dateparser may drop them."""
    today = local_now.date()
    words = _day_words(languages[0])
    if words.tomorrow.search(text):
        return day == today + timedelta(days=1)
    if words.today.search(text):
        return day == today
    weekdays = {words.weekday_of(match.group()) for match in words.weekday.finditer(text)} - {None}
    return len(weekdays) != 1 or day.weekday() in weekdays


@dataclass(frozen=True, slots=True)
class _DayWords:
    """The words that name a day, in English and one other language: weekdays (each to its index),
    today, tomorrow, and anything that names a day at all (an end "Sun 02:00" keeps its own day)."""

    weekday: re.Pattern[str]
    weekday_index: dict[str, int]  # the language's own weekday words
    today: re.Pattern[str]
    tomorrow: re.Pattern[str]
    names_a_day: re.Pattern[str]

    def weekday_of(self, word: str) -> int | None:
        """The weekday a word ``weekday`` matched names: the language's own word, else English's."""
        word = word.lower()
        return self.weekday_index.get(word, _WEEKDAY_INDEX.get(word[:3]))


_WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_KEYS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip


def _alternatives(words: Iterable[str]) -> str:
    # Longest first, so "sexta-feira" wins over "sexta"; whole words only.
    ordered = sorted({re.escape(word) for word in words if word}, key=len, reverse=True)
    return rf"(?<!\w)(?:{'|'.join(ordered)})(?!\w)"


@cache
def _day_words(language: str) -> _DayWords:
    """Built from dateparser's own data for the language (the library that reads the dates), not from
    tables of ours. A weekday word that is also a month word ("mar": martes and marzo) is left out."""
    if language == "en":
        return _DayWords(_WEEKDAY_RE, {}, _TODAY_RE, _TOMORROW_RE, _DAY_NAMED_RE)
    info = default_loader.get_locale(language).info
    months = {_plain_letters(word.lower()) for key in _MONTH_KEYS for word in info.get(key, [])}
    index: dict[str, int] = {}
    for number, key in enumerate(_WEEKDAY_KEYS):
        for word in info.get(key, []):
            form = _plain_letters(word.lower())
            # One letter is too little to be sure of; two words are how dateparser lists variants we
            # would rather not guess at ("دو شنبه" under Saturday).
            if form not in months and len(form) > 1 and " " not in form:
                index.setdefault(form, number)
    relative = info.get("relative-type", {})
    today = [_plain_letters(word.lower()) for word in relative.get("0 day ago", [])]
    tomorrow = [_plain_letters(word.lower()) for word in relative.get("in 1 day", [])]
    weekday = re.compile(rf"{_WEEKDAY_RE.pattern}|{_alternatives(index)}", re.IGNORECASE)
    return _DayWords(
        weekday,
        index,
        re.compile(rf"{_TODAY_RE.pattern}|{_alternatives(today)}", re.IGNORECASE) if today else _TODAY_RE,
        re.compile(rf"{_TOMORROW_RE.pattern}|{_alternatives(tomorrow)}", re.IGNORECASE)
        if tomorrow
        else _TOMORROW_RE,
        re.compile(
            rf"{_DAY_NAMED_RE.pattern}|{weekday.pattern}|{_alternatives([*months, *today, *tomorrow])}",
            re.IGNORECASE,
        ),
    )


def _example_on(day: date, local_now: datetime) -> datetime | None:
    """A time on ``day`` still ahead to show as an example: 19:30, or the next full hour today."""
    evening = datetime.combine(day, time(19, 30))
    if evening > local_now:
        return evening
    next_hour = local_now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return next_hour if next_hour.date() == day else None


def _languages(language: str) -> tuple[str, ...]:
    """dateparser's languages for a chat's: its own (by its two letters), then English."""
    code = language.replace("-", "_").split("_")[0].lower()
    return _LANGUAGES if code in ("", "en") else (code, "en")


def _in_plain_form(text: str, language: str) -> str:
    """What dateparser and the time tokens do not read in a language, in a form they do."""
    text = _plain_letters(text.translate(_DIGITS))
    if language == "de":
        text = _UHR_RE.sub(lambda m: f"{int(m['hour']):02d}:{m['minute'] or '00'}", text)
        text = _GERMAN_AM_RE.sub("", text)
    return text


# Persian keyboards type ی and ک where dateparser's data has the Arabic ي and ك, and write the
# zero-width non-joiner inside "پنج‌شنبه" that its data sometimes lacks: one form for both sides.
_PLAIN_LETTERS = str.maketrans({"ي": "ی", "ك": "ک", "\u200c": None})


def _plain_letters(text: str) -> str:
    return text.translate(_PLAIN_LETTERS)


# dateparser reads "next saturday" and "sat", but not "next sat".
_NEXT_SHORT_DAY_RE = re.compile(r"\bnext\s+(mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b", re.IGNORECASE)
_FULL_DAY = dict(zip(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), _WEEKDAY_KEYS, strict=True))


def _dateparse(text: str, local_base: datetime, languages: tuple[str, ...] = _LANGUAGES) -> datetime | None:
    text = _NEXT_SHORT_DAY_RE.sub(lambda m: "next " + _FULL_DAY[m[1][:3].lower()], text)
    try:
        return dateparser.parse(
            text, languages=list(languages), settings={**_SETTINGS, "RELATIVE_BASE": local_base}
        )
    except (ValueError, OverflowError):  # e.g. "in 99999999 years"
        return None


def _localise(wall: datetime, zone: tzinfo) -> tuple[datetime, bool]:
    """The instant of a wall time, and whether that wall time exists (it doesn't in a spring-forward gap)."""
    # fold=0 takes the first of the two readings of an autumn overlap, i.e. still summer time.
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    return instant, instant.astimezone(zone).replace(tzinfo=None) == wall


def _at(instant: datetime, zone: tzinfo) -> _Moment:
    return _Moment(instant.astimezone(zone).replace(tzinfo=None), zone, instant, True)


def _zone(tz_name: str) -> ZoneInfo:
    if not is_valid_timezone(tz_name):
        if not tz_name.strip():
            raise InvalidField("timezone", "missing")
        raise InvalidField("timezone", "unknown", text=tz_name[:40])
    return ZoneInfo(tz_name)


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
