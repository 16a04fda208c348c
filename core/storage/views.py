"""The two statements of a view, each defined once, and the typed rows they give.

Every tap on a link reads the event with its answers and the viewer's chosen timezone, and records the
card the bot posts. Each statement is written here once, over a source of "what was asked": one link
bound as parameters (the session path, on SQLite and in tests), or many at once unnested from arrays
(the batched asyncpg path on PostgreSQL, ``core/storage/direct.py``, which runs the SQL SQLAlchemy
compiles from the same definition). A new column is added in one place, and both paths stay equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Insert, Integer, Select, String, and_, bindparam, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql import ClauseElement, FromClause
from sqlalchemy.sql.compiler import SQLCompiler

from core import recurrence
from core.events import (
    GOING,
    MAYBE,
    NO,
    WAITING,
    Attendee,
    EventView,
    RsvpSummary,
    parse_dates,
    parse_moves,
    parse_reminder_minutes,
)
from core.storage.models import ChatSettings, Event, PostedCard, Rsvp, Unlock, UtcDateTime

_EVENTS, _RSVPS, _SETTINGS, _UNLOCKS = (
    Event.__table__,
    Rsvp.__table__,
    ChatSettings.__table__,
    Unlock.__table__,
)

# Every field of EventView but the answers, named as in the events table.
VIEW_COLUMNS = tuple(field.name for field in fields(EventView) if field.name != "rsvps")
assert set(VIEW_COLUMNS) <= set(_EVENTS.columns.keys())


class Answer(NamedTuple):
    user_id: int
    name: str
    status: str
    guests: int = 0


class ViewRead(NamedTuple):
    """An event with its answers, the timezone the viewer's chat chose (None if it chose none), and
    whether the viewer holds an unlock for it (so may see a hidden list in their private chat)."""

    event: EventView
    viewer_zone: str | None
    viewer_unlocked: bool = False


@dataclass(frozen=True, slots=True)
class CardRecord:
    link_id: str
    chat_id: int | None
    message_id: int | None
    inline_message_id: str | None
    at: datetime
    version: int = 0  # the event's card_version the message shows (0: unknown, so it is brought up to date)
    language: str | None = None  # a card sent inline: the language it was written in


def summarise(answers: Iterable[Answer]) -> RsvpSummary:
    """Who answered what, each list in the order people answered (the waitlist's order)."""
    people: dict[str, list[Attendee]] = {GOING: [], MAYBE: [], WAITING: []}
    no_count = 0
    for answer in answers:
        if answer.status == NO:
            no_count += 1
        else:
            people[answer.status].append(Attendee(answer.user_id, answer.name, answer.guests))
    return RsvpSummary(tuple(people[GOING]), tuple(people[MAYBE]), tuple(people[WAITING]), no_count)


def event_view(event: Event | Mapping[str, Any], answers: Iterable[Answer] = ()) -> EventView:
    """The plain view of an event, from its ORM object or a row of the view read."""
    get = event.__getattribute__ if isinstance(event, Event) else event.__getitem__
    values: dict[str, Any] = {column: get(column) for column in VIEW_COLUMNS}
    values["reminder_minutes"] = parse_reminder_minutes(values["reminder_minutes"])
    values["coming_dates"] = _coming(values)
    values["skipped_dates"] = parse_dates(values["skipped_dates"])
    values["moved_dates"] = parse_moves(values["moved_dates"])
    return EventView(**values, rsvps=summarise(answers))


def _coming(values: Mapping[str, Any]) -> tuple[datetime, ...] | None:
    """The dates after the one shown, as the row keeps them, if they still follow from its columns."""
    rule, first, shown = values["recurrence"], values["series_start"], values["occurrence_start"]
    if rule is None or first is None or shown is None or not values["coming_dates"]:
        return None
    return recurrence.unpack_coming(
        values["coming_dates"],
        rule,
        first,
        values["timezone"],
        max(values["starts_at"], shown),
        values["skipped_dates"],
        values["moved_dates"],
    )


def _view_read(asked: FromClause) -> Select[Any]:
    return (
        select(
            asked.c.i.label("asked"),
            *(_EVENTS.c[column] for column in VIEW_COLUMNS),
            _RSVPS.c.user_id.label("answer_user_id"),
            _RSVPS.c.name.label("answer_name"),
            _RSVPS.c.status.label("answer_status"),
            _RSVPS.c.guests.label("answer_guests"),
            _SETTINGS.c.timezone.label("viewer_zone"),
            _UNLOCKS.c.user_id.is_not(None).label("viewer_unlocked"),
        )
        .select_from(
            asked.join(_EVENTS, _EVENTS.c.link_id == asked.c.link)
            .outerjoin(_SETTINGS, _SETTINGS.c.chat_id == asked.c.viewer)
            .outerjoin(
                _UNLOCKS,
                and_(
                    _UNLOCKS.c.event_id == _EVENTS.c.id,
                    _UNLOCKS.c.user_id == asked.c.viewer,
                    _UNLOCKS.c.code_version == _EVENTS.c.code_version,
                    _UNLOCKS.c.expires_at > bindparam("now", type_=UtcDateTime()),
                ),
            )
            .outerjoin(_RSVPS, _RSVPS.c.event_id == _EVENTS.c.id)
        )
        .order_by(asked.c.i, _RSVPS.c.responded_at, _RSVPS.c.id)
    )


def _record_cards(insert: Any, asked: FromClause) -> Insert:
    # A card already known, or one of an event deleted meanwhile, is skipped. In the order asked, so the
    # cards' ids (the order edits go out in) follow it.
    source = (
        select(
            _EVENTS.c.id,
            asked.c.chat,
            asked.c.message,
            asked.c.inline,
            asked.c.at,
            asked.c.version,
            asked.c.language,
        )
        .select_from(asked.join(_EVENTS, _EVENTS.c.link_id == asked.c.link))
        .order_by(asked.c.i)
    )
    columns = [
        "event_id",
        "chat_id",
        "message_id",
        "inline_message_id",
        "created_at",
        "shown_version",
        "language",
    ]
    return (
        insert(PostedCard.__table__)
        .from_select(columns, source, include_defaults=False)
        .on_conflict_do_nothing()
    )


# One link, bound as parameters: the session path.
_ONE_VIEW = (
    select(
        bindparam("link", type_=String).label("link"),
        bindparam("viewer", type_=BigInteger).label("viewer"),
        literal(1, Integer).label("i"),
    )
).subquery("asked")
_ONE_CARD = (
    select(
        bindparam("link", type_=String).label("link"),
        bindparam("chat", type_=BigInteger).label("chat"),
        bindparam("message", type_=BigInteger).label("message"),
        bindparam("inline", type_=String).label("inline"),
        bindparam("at", type_=UtcDateTime()).label("at"),
        bindparam("version", type_=Integer).label("version"),
        bindparam("language", type_=String).label("language"),
        literal(1, Integer).label("i"),
    )
).subquery("asked")

# Many at once, from arrays: the batched path. ``i`` keeps each row with the question it answers.
_MANY_VIEWS = (
    func.unnest(bindparam("links", type_=ARRAY(String)), bindparam("viewers", type_=ARRAY(BigInteger)))
    .table_valued("link", "viewer", with_ordinality="i")
    .render_derived(name="asked")
)
_MANY_CARDS = (
    func.unnest(
        bindparam("links", type_=ARRAY(String)),
        bindparam("chats", type_=ARRAY(BigInteger)),
        bindparam("messages", type_=ARRAY(BigInteger)),
        bindparam("inlines", type_=ARRAY(String)),
        bindparam("ats", type_=ARRAY(postgresql.TIMESTAMP(timezone=True))),
        bindparam("versions", type_=ARRAY(Integer)),
        bindparam("languages", type_=ARRAY(String)),
    )
    .table_valued("link", "chat", "message", "inline", "at", "version", "language", with_ordinality="i")
    .render_derived(name="asked")
)

READ_VIEW = _view_read(_ONE_VIEW)
# Keyed by "is it PostgreSQL": each dialect has its own ON CONFLICT.
RECORD_CARD = {
    True: _record_cards(postgresql.insert, _ONE_CARD),
    False: _record_cards(sqlite.insert, _ONE_CARD),
}


class CompiledForAsyncpg(NamedTuple):
    sql: str
    parameters: tuple[str, ...]  # the names of $1, $2, ... in order


def for_asyncpg(statement: ClauseElement) -> CompiledForAsyncpg:
    compiled = statement.compile(dialect=asyncpg_dialect())
    assert isinstance(compiled, SQLCompiler)
    return CompiledForAsyncpg(compiled.string, tuple(compiled.positiontup or ()))


READ_VIEWS_ASYNCPG = for_asyncpg(_view_read(_MANY_VIEWS))
RECORD_CARDS_ASYNCPG = for_asyncpg(_record_cards(postgresql.insert, _MANY_CARDS))


def views_from_rows(rows: Iterable[Mapping[str, Any]], asked: int) -> list[ViewRead | None]:
    """Group the rows of a view read by the question (1 to ``asked``) they answer; None if unknown."""
    by_position: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_position.setdefault(row["asked"], []).append(row)
    found: list[ViewRead | None] = []
    for position in range(1, asked + 1):
        mine: Sequence[Mapping[str, Any]] | None = by_position.get(position)
        if not mine:
            found.append(None)
            continue
        answers = [
            Answer(row["answer_user_id"], row["answer_name"], row["answer_status"], row["answer_guests"])
            for row in mine
            if row["answer_status"] is not None
        ]
        found.append(
            ViewRead(event_view(mine[0], answers), mine[0]["viewer_zone"], bool(mine[0]["viewer_unlocked"]))
        )
    return found
