"""The rules an Event's fields follow, and the plain views of an event, independent of storage."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.errors import InvalidField

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
LOCATION_MAX = 200
NAME_MAX = 64

# Cc (controls: NUL, ESC, ...), Cf minus the joiners emoji need, Cs and Co never belong in event text.
_ALLOWED_FORMAT_CHARS = {"\u200d", "\u200c", "\ufe0f"}


def _bad_character(text: str, *, allow_newlines: bool) -> str | None:
    for ch in text:
        if allow_newlines and ch in "\n\t":
            continue
        category = unicodedata.category(ch)
        if category in {"Cc", "Cs", "Co"} or (category == "Cf" and ch not in _ALLOWED_FORMAT_CHARS):
            return ch
    return None


def clean_text(
    field: str, value: str | None, *, max_length: int, required: bool, multiline: bool
) -> str | None:
    """Trim and check one text field; return None for an empty optional field."""
    if value is None:
        value = ""
    if "\x00" in value:
        raise InvalidField(field, "nul_character")
    value = value.replace("\r\n", "\n")
    bad = _bad_character(value, allow_newlines=multiline)
    if bad is not None:
        if bad in "\r\n":
            raise InvalidField(field, "line_break")
        raise InvalidField(field, "control_character", codepoint=f"U+{ord(bad):04X}")
    value = value.strip()
    if not multiline:
        value = re.sub(r"\s+", " ", value)
    if not value:
        if required:
            raise InvalidField(field, "empty")
        return None
    if len(value) > max_length:
        raise InvalidField(field, "too_long", length=len(value), limit=max_length)
    return value


def clean_title(value: str | None) -> str:
    title = clean_text("title", value, max_length=TITLE_MAX, required=True, multiline=False)
    assert title is not None
    return title


def clean_description(value: str | None) -> str | None:
    return clean_text("description", value, max_length=DESCRIPTION_MAX, required=False, multiline=True)


def clean_location(value: str | None) -> str | None:
    return clean_text("location", value, max_length=LOCATION_MAX, required=False, multiline=False)


def clean_name(value: str) -> str:
    """Make a person's display name safe to show on a card: one line, no control or format characters.

    A name comes from Telegram and cannot be refused as a title is, so what a title would be refused for is
    dropped instead: a right-to-left override (U+202E) in it would turn the rest of the card line around.
    The joiners emoji are built with stay. "" when nothing is left (cards then say "Someone").
    """
    shown = "".join(ch for ch in value if ch.isspace() or _bad_character(ch, allow_newlines=False) is None)
    return " ".join(shown.split())[:NAME_MAX].rstrip()


GOING, MAYBE, NO, WAITING = "going", "maybe", "no", "waiting"
ANSWERS = (GOING, MAYBE, NO)
DEFAULT_REMINDERS = (1440, 60)
MAX_REMINDERS = 5
MAX_CAPACITY = 100_000
MAX_REMINDER_MINUTES = 60 * 24 * 60


MAX_GUESTS = 10


class Field(StrEnum):
    """The parts of an event its organiser can change; the one list every menu and parser follows."""

    TITLE = "title"
    WHEN = "when"
    END = "end"
    LOCATION = "location"
    DESCRIPTION = "description"
    CAPACITY = "capacity"
    CLOSES = "closes"
    GUESTS = "guests"
    LIST = "list"
    REPEAT = "repeat"
    REMINDERS = "reminders"


# Fields that an empty value clears rather than refuses (an end, a deadline: back to the default).
CLEARABLE_FIELDS = frozenset({Field.LOCATION, Field.DESCRIPTION, Field.END, Field.CLOSES})
# Fields no card shows: changing them edits no card.
OFF_CARD_FIELDS = frozenset({Field.REMINDERS})


@dataclass(frozen=True, slots=True)
class Attendee:
    user_id: int
    name: str
    guests: int = 0

    @property
    def seats(self) -> int:
        return 1 + self.guests


@dataclass(frozen=True, slots=True)
class RsvpSummary:
    """Who answered what; lists are in the order people answered (the waitlist's order)."""

    going: tuple[Attendee, ...] = ()
    maybe: tuple[Attendee, ...] = ()
    waiting: tuple[Attendee, ...] = ()
    no_count: int = 0

    @property
    def seats_taken(self) -> int:
        """Seats the people going take, their guests included."""
        return sum(person.seats for person in self.going)


def parse_reminder_minutes(stored: str) -> tuple[int, ...]:
    return tuple(int(part) for part in stored.split(",") if part.strip())


def parse_dates(stored: str | None) -> tuple[datetime, ...]:
    """Instants kept as ISO text separated by commas (a series' skipped dates)."""
    return tuple(datetime.fromisoformat(part) for part in (stored or "").split(",") if part)


def format_dates(instants: Iterable[datetime]) -> str:
    return ",".join(sorted(instant.isoformat() for instant in instants))


Moves = tuple[tuple[datetime, datetime], ...]


def parse_moves(stored: str | None) -> Moves:
    """A series' moved dates, kept as "rule's start=new start" (ISO) separated by commas."""
    pairs = (part.split("=", 1) for part in (stored or "").split(",") if part)
    return tuple((datetime.fromisoformat(was), datetime.fromisoformat(now)) for was, now in pairs)


def format_moves(moves: Iterable[tuple[datetime, datetime]]) -> str:
    return ",".join(f"{was.isoformat()}={now.isoformat()}" for was, now in sorted(moves))


def format_reminder_minutes(minutes: tuple[int, ...]) -> str:
    return ",".join(str(m) for m in sorted(set(minutes), reverse=True))


def clean_capacity(value: int | None) -> int | None:
    if value is None or value == 0:
        return None
    if not 1 <= value <= MAX_CAPACITY:
        raise InvalidField("capacity", "out_of_range", limit=MAX_CAPACITY)
    return value


_NO_LIMIT_WORDS = frozenset({"", "0", "none", "off", "no limit", "unlimited", "-"})


def parse_capacity(text: str) -> int | None:
    """Read a typed number of seats; 0 or "none" removes the limit (None)."""
    value = " ".join(text.split()).lower()
    if value in _NO_LIMIT_WORDS:
        return None
    number = _number(value)
    if number is None:
        raise InvalidField("capacity", "not_a_number")
    return clean_capacity(number)


def _number(value: str) -> int | None:
    """A whole number typed in any script's decimal digits ("12", Persian "۱۲", Arabic "١٢"), as
    phones type them; not "²" or "½", which ``str.isdigit`` would let through."""
    if not value or len(value) > 9 or not all(unicodedata.category(ch) == "Nd" for ch in value):
        return None
    return int("".join(str(unicodedata.decimal(ch)) for ch in value))


def parse_guests(text: str) -> int:
    """Read how many guests each person may bring; 0 or "none" turns guests off."""
    value = " ".join(text.split()).lower()
    if value in _NO_LIMIT_WORDS or value == "no":
        return 0
    guests = _number(value)
    if guests is None:
        raise InvalidField("guests", "not_a_number", limit=MAX_GUESTS)
    if guests > MAX_GUESTS:
        raise InvalidField("guests", "out_of_range", limit=MAX_GUESTS)
    return guests


_HIDDEN_WORDS = {
    "hidden": True,
    "hide": True,
    "private": True,
    "off": True,
    "shown": False,
    "show": False,
    "public": False,
    "on": False,
}


def parse_list_visibility(text: str) -> bool:
    """Read whether group cards hide who is coming: "hidden" or "shown"."""
    value = " ".join(text.split()).lower()
    if value not in _HIDDEN_WORDS:
        raise InvalidField("list", "not_understood")
    return _HIDDEN_WORDS[value]


def clean_reminders(minutes: tuple[int, ...]) -> tuple[int, ...]:
    if len(minutes) > MAX_REMINDERS:
        raise InvalidField("reminders", "too_many", limit=MAX_REMINDERS)
    if any(not 1 <= m <= MAX_REMINDER_MINUTES for m in minutes):
        raise InvalidField("reminders", "out_of_range", longest_days=MAX_REMINDER_MINUTES // 1440)
    return tuple(sorted(set(minutes), reverse=True))


@dataclass(frozen=True, slots=True)
class Headline:
    """What a message about an event names: which event, and when."""

    link_id: str
    title: str
    starts_at: datetime
    timezone: str


@dataclass(frozen=True, slots=True)
class EventView:
    """An event as the outside world sees it: plain values, no hash, no session attached."""

    link_id: str
    title: str
    description: str | None
    location: str | None
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    creator_user_id: int | None
    chat_id: int | None
    sequence: int
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    capacity: int | None = None
    reminder_minutes: tuple[int, ...] = DEFAULT_REMINDERS
    card_version: int = 0  # bumped by every change a card shows
    answers_close_at: datetime | None = None  # None: answers close when the event starts
    answers_closed: bool = False  # the deadline passed (or the event started)
    max_guests: int = 0
    hide_names: bool = False
    recurrence: str | None = None  # an RFC 5545 rule: this is a series, shown at its next date
    series_start: datetime | None = None
    occurrence_start: datetime | None = None  # the rule's start of the date shown (moved: differs)
    skipped_dates: tuple[datetime, ...] = ()
    moved_dates: Moves = ()  # dates to come moved away from the rule: (rule's start, new start)
    # The dates after the one shown, as the row keeps them (None: not kept for these values; walk the rule).
    coming_dates: tuple[datetime, ...] | None = None
    kind: str = "event"  # "poll": a time poll not decided yet (core/polls.py)
    poll_closes_at: datetime | None = None  # a poll's deadline (None: its earliest option)
    rsvps: RsvpSummary = RsvpSummary()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_poll(self) -> bool:
        return self.kind == "poll"

    @property
    def is_series(self) -> bool:
        return self.recurrence is not None

    @property
    def closes_at(self) -> datetime:
        """When answers close: the deadline, or the start."""
        return self.answers_close_at or self.starts_at

    @property
    def headline(self) -> Headline:
        return Headline(self.link_id, self.title, self.starts_at, self.timezone)
