"""The two statements of a view, on PostgreSQL, straight on asyncpg and batched.

Every tap on a link reads the event with its answers and records the card the bot posts: most of what
the bot does all day. Through an ``AsyncSession`` those two statements cost about 1 ms of CPU per view
(session, transaction bookkeeping, result processing), five times what python-telegram-bot needs to
answer a message (bench/README.md). Here they go straight to asyncpg, and the views that arrive
together share one statement of each kind (``Batcher``): a view costs some tens of microseconds.

Only for PostgreSQL outside a test's rolled-back transaction, the same condition as the unit of
work's autocommit sessions; elsewhere the repositories do the same work through the session
(``SqlAlchemyUnitOfWork.read_view`` and ``record_card`` choose). Both paths are tested to agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy.engine import URL

from core.errors import DatabaseUnavailable
from core.events import EventView
from core.storage.batching import Batcher
from core.storage.models import Event
from core.storage.repository import Answer

# The columns ``service.to_view`` reads: every field of EventView but the answers, named as in the table.
VIEW_COLUMNS = tuple(field.name for field in fields(EventView) if field.name != "rsvps")
assert set(VIEW_COLUMNS) <= set(Event.__table__.columns.keys())

# One row per (asked link, answer), in the order asked, answers in the order they came. ``asked`` is
# the position in the batch: the same link may be asked twice, by viewers with different timezones.
_READ_VIEWS = f"""
SELECT asked.i AS asked, {", ".join(f"e.{c}" for c in VIEW_COLUMNS)},
       r.user_id AS answer_user_id, r.name AS answer_name, r.status AS answer_status,
       s.timezone AS viewer_zone
FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS asked(link, viewer, i)
JOIN events e ON e.link_id = asked.link
LEFT JOIN chat_settings s ON s.chat_id = asked.viewer
LEFT JOIN rsvps r ON r.event_id = e.id
ORDER BY asked.i, r.responded_at, r.id
"""

# A card already known, or one of an event deleted meanwhile, is skipped, as in CardRepository.record.
# In the order recorded, so the cards' ids (the order edits go out in) follow it.
_RECORD_CARDS = """
INSERT INTO posted_cards (event_id, chat_id, message_id, inline_message_id, created_at)
SELECT e.id, card.chat, card.message, card.inline, card.at
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[]) WITH ORDINALITY
     AS card(link, chat, message, inline, at, i)
JOIN events e ON e.link_id = card.link
ORDER BY card.i
ON CONFLICT DO NOTHING
"""

# SQLAlchemy's names for asyncpg's connection arguments, where they differ.
_RENAMED_ARGUMENTS = {"prepared_statement_cache_size": "statement_cache_size"}
_SQLALCHEMY_ONLY_ARGUMENTS = {"prepared_statement_name_func", "async_fallback"}

# asyncpg's errors that mean "the server is not there", as opposed to a wrong statement.
_CONNECTION_ERRORS = (
    OSError,  # ConnectionRefusedError and the other ConnectionErrors among them
    asyncpg.PostgresConnectionError,  # among them: the connection was closed under us
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # the server is shutting down or starting up
)


class ViewRead(NamedTuple):
    """An event's columns (as attributes), its answers in order, and the viewer's chosen timezone."""

    event: Any
    answers: list[Answer]
    viewer_zone: str | None


class CardRecord(NamedTuple):
    link_id: str
    chat_id: int | None
    message_id: int | None
    inline_message_id: str | None
    at: datetime


class DirectViews:
    """A small asyncpg pool, and the batched read and write of a view on it."""

    def __init__(self, url: URL, connect_args: dict[str, Any], *, pool_size: int) -> None:
        self._url = url
        self._connect_args = connect_args
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        # Half the connections each, so a burst of one kind never starves the other.
        in_flight = max(1, pool_size // 2)
        self.reads: Batcher[tuple[str, int | None], ViewRead | None] = Batcher(
            self._read_batch, in_flight=in_flight
        )
        self.writes: Batcher[CardRecord, None] = Batcher(self._write_batch, in_flight=in_flight)

    @classmethod
    def for_engine_url(cls, url: URL, connect_args: dict[str, Any], *, pool_size: int) -> DirectViews:
        """Connect as the engine does: ``connect_args`` from ``engine.dialect.create_connect_args``."""
        arguments = {
            _RENAMED_ARGUMENTS.get(key, key): value
            for key, value in connect_args.items()
            if key not in _SQLALCHEMY_ONLY_ARGUMENTS
        }
        return cls(url, arguments, pool_size=pool_size)

    async def open(self) -> None:
        # min_size=0: no connection until the first view, so opening never fails for a server that
        # is down; each view then fails alone (DatabaseUnavailable) and the next one reconnects.
        # reset: the statements here leave no session state, so a connection going back
        # to the pool needs no RESET ALL round trip.
        self._pool = await asyncpg.create_pool(
            min_size=0, max_size=self._pool_size, reset=_leave_as_is, **self._connect_args
        )

    async def close(self) -> None:
        await self.reads.close()
        await self.writes.close()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def read(self, link_id: str, viewer_chat_id: int | None) -> ViewRead | None:
        """The event behind ``link_id`` with its answers, and the viewer's timezone; None if unknown."""
        return await self.reads.submit((link_id, viewer_chat_id))

    async def record_card(self, card: CardRecord) -> None:
        await self.writes.submit(card)

    async def _read_batch(self, asked: Sequence[tuple[str, int | None]]) -> list[ViewRead | None]:
        rows = await self._fetch(_READ_VIEWS, [link for link, _ in asked], [viewer for _, viewer in asked])
        by_position: dict[int, list[asyncpg.Record]] = defaultdict(list)
        for row in rows:
            by_position[row["asked"]].append(row)
        found: list[ViewRead | None] = []
        for position in range(1, len(asked) + 1):
            mine = by_position.get(position)
            if not mine:
                found.append(None)
                continue
            first = mine[0]
            answers = [
                Answer(row["answer_user_id"], row["answer_name"], row["answer_status"])
                for row in mine
                if row["answer_status"] is not None
            ]
            event = SimpleNamespace(**{column: first[column] for column in VIEW_COLUMNS})
            found.append(ViewRead(event, answers, first["viewer_zone"]))
        return found

    async def _write_batch(self, cards: Sequence[CardRecord]) -> list[None]:
        await self._execute(
            _RECORD_CARDS,
            [c.link_id for c in cards],
            [c.chat_id for c in cards],
            [c.message_id for c in cards],
            [c.inline_message_id for c in cards],
            [c.at for c in cards],
        )
        return [None] * len(cards)

    async def _fetch(self, statement: str, *arguments: Any) -> list[asyncpg.Record]:
        try:
            return await self._connected().fetch(statement, *arguments)
        except _CONNECTION_ERRORS as exc:
            raise DatabaseUnavailable() from exc

    async def _execute(self, statement: str, *arguments: Any) -> None:
        try:
            await self._connected().execute(statement, *arguments)
        except _CONNECTION_ERRORS as exc:
            raise DatabaseUnavailable() from exc

    def _connected(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"the direct view pool for {self._url!r} is not open")
        return self._pool


async def _leave_as_is(_connection: asyncpg.Connection) -> None:
    return None
