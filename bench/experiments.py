"""EXPERIMENTS: suggested fixes tried inside a benchmark process only, to measure what they would buy.

Nothing here changes the bot's files. An experiment replaces a function of ``core.service`` in the
running benchmark, so the same harness can show before and after side by side. They are sketches of
a fix, not the fix: they skip what the real change must keep (error mapping, SQLite support).

``lean-view``: a view in two round trips instead of 15.
    * read: one statement returns the event and its RSVPs (``json_agg``), outside any transaction;
    * write: ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` records the card in one statement;
    * both on a plain asyncpg pool: no pre-ping (three round trips per checkout on asyncpg), no
      BEGIN/ROLLBACK around a single read, no ORM unit of work, and no reset query on release.
    The card is still built by the bot's own ``core.service.to_view`` from ORM objects made in memory.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from datetime import datetime
from typing import Any

import asyncpg

from bench import db

_pools: dict[str, asyncio.Task[asyncpg.Pool]] = {}

_READ = """
SELECT e.*,
       coalesce(json_agg(json_build_object('id', r.id, 'user_id', r.user_id, 'name', r.name,
                                           'status', r.status, 'responded_at', r.responded_at)
                         ORDER BY r.responded_at, r.id) FILTER (WHERE r.id IS NOT NULL), '[]') AS rsvps
FROM events e LEFT JOIN rsvps r ON r.event_id = e.id
WHERE e.link_id = $1
GROUP BY e.id
"""
_RECORD = """
INSERT INTO posted_cards (event_id, chat_id, message_id, inline_message_id, created_at)
SELECT id, $2, $3, $4, now() FROM events WHERE link_id = $1
ON CONFLICT DO NOTHING
"""


async def _no_reset(_connection: asyncpg.Connection) -> None:
    return None


async def _pool(uow: Any) -> asyncpg.Pool:
    engine = uow._session_factory.kw["bind"]
    url = engine.url.render_as_string(hide_password=False)
    if url not in _pools:  # one pool per database, however many handlers ask at once
        # reset=_no_reset: asyncpg's default resets a connection on every release with one more round
        # trip (pg_advisory_unlock_all, CLOSE ALL, UNLISTEN, RESET ALL); these statements leave no state.
        _pools[url] = asyncio.ensure_future(
            asyncpg.create_pool(db.asyncpg_dsn(url), min_size=4, max_size=20, reset=_no_reset)
        )
    return await _pools[url]


def install_lean_view() -> str:
    from bot import cards
    from bot.handlers import basics
    from core import codes, service, sharing
    from core.errors import EventNotFound
    from core.storage.models import Event, Rsvp

    # Written for the code before the fix (sources 3fcaf26e...): it must replace what the handlers
    # really call, or it would measure nothing while claiming to.
    if "service.get_event" not in inspect.getsource(basics) or "sharing.record_card" not in inspect.getsource(
        cards
    ):
        raise RuntimeError(
            "lean-view replaces core.service.get_event and core.sharing.record_card, and the view handler no "
            "longer calls the first: it was a sketch of the fix for the code before it (sources 3fcaf26e...)"
        )
    event_columns = {c.key for c in Event.__table__.columns}

    async def get_event(uow: Any, link_id: str) -> Any:
        if not codes.is_link_id(link_id):
            raise EventNotFound()
        row = await (await _pool(uow)).fetchrow(_READ, link_id)
        if row is None:
            raise EventNotFound()
        event = Event(**{k: v for k, v in row.items() if k in event_columns})
        rsvps = [
            Rsvp(**{**r, "responded_at": datetime.fromisoformat(r["responded_at"])})
            for r in json.loads(row["rsvps"])
        ]
        return service.to_view(event, rsvps)

    async def record_card(
        uow: Any,
        link_id: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
        inline_message_id: str | None = None,
    ) -> None:
        await (await _pool(uow)).execute(_RECORD, link_id, chat_id, message_id, inline_message_id)

    service.get_event = get_event  # type: ignore[assignment]
    sharing.record_card = record_card  # type: ignore[assignment]
    return "EXPERIMENT lean-view: get_event and record_card in one statement each on a plain asyncpg pool"


async def close() -> None:
    for pool in _pools.values():
        await (await pool).close()
    _pools.clear()


EXPERIMENTS = {"lean-view": install_lean_view}
