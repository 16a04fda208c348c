"""The two statements of a view, on PostgreSQL, straight on asyncpg and batched.

Every tap on a link reads the event with its answers and records the card the bot posts: most of what
the bot does all day. Through an ``AsyncSession`` those two statements cost about 1 ms of CPU per view
(session, transaction bookkeeping, result processing), five times what python-telegram-bot needs to
answer a message (bench/README.md). Here they go straight to asyncpg, and the views that arrive
together share one statement of each kind (``Batcher``): a view costs some tens of microseconds.

The statements are not written here: ``core/storage/views.py`` defines each once, and this module runs
the SQL SQLAlchemy compiles from it. Only for PostgreSQL outside a test's rolled-back transaction, the
same condition as the unit of work's autocommit sessions; elsewhere the repositories run the same
definitions through the session (``SqlAlchemyUnitOfWork.read_view`` and ``record_card`` choose).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from core.clock import utcnow
from core.errors import DatabaseUnavailable
from core.storage.answers import ANSWER_ASYNCPG
from core.storage.batching import Batcher
from core.storage.polls import VOTE_ASYNCPG
from core.storage.views import (
    READ_VIEWS_ASYNCPG,
    RECORD_CARDS_ASYNCPG,
    CardRecord,
    CompiledForAsyncpg,
    ViewRead,
    views_from_rows,
)

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


class DirectViews:
    """A small asyncpg pool, and the batched read and write of a view on it."""

    def __init__(self, url: URL, connect_args: dict[str, Any], *, pool_size: int) -> None:
        self._url = url
        self._connect_args = connect_args
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        # A quarter of the connections each for batched reads and writes, so a burst of one kind never
        # starves the other, and the rest for answer taps (one statement each).
        in_flight = max(1, pool_size // 4)
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
        rows = await self._run(
            READ_VIEWS_ASYNCPG,
            links=[link for link, _ in asked],
            viewers=[viewer for _, viewer in asked],
            now=utcnow(),
        )
        return views_from_rows(rows, len(asked))

    async def _write_batch(self, cards: Sequence[CardRecord]) -> list[None]:
        await self._run(
            RECORD_CARDS_ASYNCPG,
            links=[c.link_id for c in cards],
            chats=[c.chat_id for c in cards],
            messages=[c.message_id for c in cards],
            inlines=[c.inline_message_id for c in cards],
            ats=[c.at for c in cards],
            versions=[c.version for c in cards],
            languages=[c.language for c in cards],
        )
        return [None] * len(cards)

    async def answer(self, values: dict[str, Any]) -> asyncpg.Record | None:
        """An answer tap's one statement (core/storage/answers.py); not batched, one round trip."""
        rows = await self._run(ANSWER_ASYNCPG, **values)
        return rows[0] if rows else None

    async def vote(self, values: dict[str, Any]) -> asyncpg.Record | None:
        """A poll vote's one statement (core/storage/polls.py): one round trip."""
        rows = await self._run(VOTE_ASYNCPG, **values)
        return rows[0] if rows else None

    async def _run(self, statement: CompiledForAsyncpg, **values: Any) -> list[asyncpg.Record]:
        arguments = [values[name] for name in statement.parameters]
        try:
            return await self._connected().fetch(statement.sql, *arguments)
        except _CONNECTION_ERRORS as exc:
            raise DatabaseUnavailable() from exc

    def _connected(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"the direct view pool for {self._url!r} is not open")
        return self._pool


async def _leave_as_is(_connection: asyncpg.Connection) -> None:
    return None
