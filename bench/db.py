"""Benchmark databases: created per run as ``skedjit_bench_*``, migrated, bulk-loaded, dropped.

Events are loaded with one ``INSERT ... SELECT generate_series`` per table, inside PostgreSQL: a
million events take seconds, not the hours that creating them one by one through the bot would.

Link ids are 10 characters of ``A-Za-z0-9`` like the bot's own, spread over the whole key space by a
bijection (``i * P + C mod 62**10``, written in base 62), so they are unique by construction and the
benchmark can compute the link of event ``i`` without asking the database.
"""

from __future__ import annotations

import os
import secrets
import string
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import bcrypt
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench import seams
from core import recurrence

ADMIN_URL = os.environ.get(
    "SKEDJIT_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)

ALPHABET = string.ascii_letters + string.digits  # the bot's LINK_ALPHABET
BASE = len(ALPHABET)
LINK_LENGTH = 10
KEYSPACE = BASE**LINK_LENGTH
MULTIPLIER = 779_230_947_323  # odd and not a multiple of 31, so coprime with 62**10: a bijection
OFFSET = 123_456_789_012_345

SERIES_EVERY = 7  # every 7th event is a weekly series (the "/event (series)" path views them)
RSVP_EVERY = 4  # every 4th event has RSVPs (1 to 8 of them) and a card posted in its group
GROUPS = 5_000  # events are spread over this many group chats
GROUP_BASE = 1_000_000_000_000
CARD_MESSAGE_BASE = 1_000_000
# One valid hash for every loaded event: nobody types these codes, and hashing a million would take days.
CODE_HASH = bcrypt.hashpw(b"BENCHBENCH00", bcrypt.gensalt(4)).decode()


def link_id(i: int) -> str:
    """The link id of loaded event ``i``; the SQL in ``_link_sql`` computes the same."""
    x = (i * MULTIPLIER + OFFSET) % KEYSPACE
    chars = []
    for _ in range(LINK_LENGTH):
        x, digit = divmod(x, BASE)
        chars.append(ALPHABET[digit])
    return "".join(chars)


def _link_sql(x: str) -> str:
    """Base 62 of the bigint column ``x`` (< 62**10), least significant digit first, as ``link_id``."""
    digits = [f"substr('{ALPHABET}', (({x} / {BASE**k}) % {BASE})::int + 1, 1)" for k in range(LINK_LENGTH)]
    return " || ".join(digits)


def group_chat(i: int) -> int:
    """The group chat where event ``i`` was created (and, for every 4th, where its card is)."""
    return -(GROUP_BASE + i % GROUPS)


def has_card(i: int) -> bool:
    return i % RSVP_EVERY == 0


def card_message_id(i: int) -> int:
    return CARD_MESSAGE_BASE + i


@dataclass(frozen=True)
class Dataset:
    url: str
    events: int

    def link(self, i: int) -> str:
        return link_id(i)


def asyncpg_dsn(url: str) -> str:
    """The URL as asyncpg takes it (no ``+asyncpg`` driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url(name: str, *, port: int | None = None) -> str:
    url = make_url(ADMIN_URL).set(database=name)
    if port is not None:
        url = url.set(port=port)
    return url.render_as_string(hide_password=False)


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(ADMIN_URL))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def bench_database(tag: str) -> AsyncIterator[str]:
    """A fresh migrated database ``skedjit_bench_<tag>_<random>``; dropped on the way out, whatever happens."""
    name = f"skedjit_bench_{tag}_{secrets.token_hex(4)}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        url = database_url(name)
        engine = create_async_engine(url)
        try:
            await seams.migrate(engine)
        finally:
            await engine.dispose()
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


LOADED_TABLES = ("events", "rsvps", "posted_cards")


async def load_events(
    url: str, first: int, last: int, *, starts_in_minutes: int | None = None, verbose: bool = False
) -> dict[str, float]:
    """Bulk-load events ``first..last`` (inclusive) with their RSVPs and cards, then VACUUM and CHECKPOINT.

    Events start 1 to 300 days from now (or ``starts_in_minutes`` from now, for reminder storms).
    For speed the load skips foreign-key triggers (the rows are consistent by construction) and
    builds the secondary indexes once at the end instead of row by row; the schema afterwards is
    exactly what the migrations made. Returns the seconds each step took.
    """
    starts = (
        f"now() + make_interval(mins => {starts_in_minutes})"
        if starts_in_minutes is not None
        else "now() + make_interval(days => 1 + i % 300, mins => i % 1440)"
    )
    steps: dict[str, float] = {}
    conn = await asyncpg.connect(asyncpg_dsn(url))

    async def step(name: str, statement: str, *args: object) -> None:
        started = time.perf_counter()
        await conn.execute(statement, *args)
        steps[name] = steps.get(name, 0.0) + time.perf_counter() - started
        if verbose:
            print(f"  {name}: {steps[name]:.2f}s", flush=True)

    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            rebuild = await _drop_secondary_indexes(conn)
            await step(
                "events",
                f"""
                INSERT INTO events (id, link_id, title, description, location, starts_at, ends_at, timezone,
                                    creator_user_id, chat_id, code_hash, sequence, created_at, updated_at,
                                    cancelled_at, capacity, reminder_minutes,
                                    recurrence, series_start, occurrence_start)
                SELECT i, {_link_sql("x")}, 'Bench event ' || i,
                       CASE WHEN i % 3 = 0 THEN 'Bring something to share. Event number ' || i END,
                       CASE WHEN i % 2 = 0 THEN 'Hall ' || (i % 97) END,
                       start.at, NULL, 'Europe/Paris', 10000000 + i % 50000, -({GROUP_BASE} + i % {GROUPS}),
                       $3, 1, now() - interval '1 day', now() - interval '1 day', NULL,
                       CASE WHEN i % 10 = 0 THEN 12 END, '1440,60',
                       CASE WHEN i % {SERIES_EVERY} = 0 THEN 'FREQ=WEEKLY;BYDAY='
                           || (ARRAY['MO','TU','WE','TH','FR','SA','SU'])[
                                  extract(isodow FROM start.at AT TIME ZONE 'Europe/Paris')::int] END,
                       -- series of every age up to five years: the card walks the rule from near its date
                       CASE WHEN i % {SERIES_EVERY} = 0
                           THEN start.at - ((i / {SERIES_EVERY}) % 260) * interval '7 days' END,
                       CASE WHEN i % {SERIES_EVERY} = 0 THEN start.at END
                FROM generate_series($1::int, $2::int) AS i,
                     LATERAL (SELECT (i::bigint * {MULTIPLIER} + {OFFSET}) % {KEYSPACE} AS x) AS key,
                     LATERAL (SELECT date_trunc('minute', {starts}) AS at) AS start
                """,
                first,
                last,
                CODE_HASH,
            )
            started = time.perf_counter()
            await _keep_series_dates(conn, first, last)
            steps["series dates"] = steps.get("series dates", 0.0) + time.perf_counter() - started
            await step(
                "rsvps",
                f"""
                INSERT INTO rsvps (event_id, user_id, name, status, responded_at)
                SELECT e, 20000000 + e::bigint * 8 + k, 'Guest ' || k,
                       CASE WHEN k % 5 = 4 THEN 'no' WHEN k % 3 = 2 THEN 'maybe' ELSE 'going' END,
                       now() - make_interval(mins => 10 - k)
                FROM generate_series($1::int, $2::int) AS e,
                     LATERAL generate_series(0, (e / {RSVP_EVERY}) % 8) AS k
                WHERE e % {RSVP_EVERY} = 0
                """,
                first,
                last,
            )
            await step(
                "posted_cards",
                f"""
                INSERT INTO posted_cards (event_id, chat_id, message_id, inline_message_id, created_at)
                SELECT e, -({GROUP_BASE} + e % {GROUPS}), {CARD_MESSAGE_BASE} + e, NULL, now()
                FROM generate_series($1::int, $2::int) AS e
                WHERE e % {RSVP_EVERY} = 0
                """,
                first,
                last,
            )
            for statement in rebuild:
                await step("indexes", statement)
            for table in LOADED_TABLES:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
        # Settle the tables as a long-lived database would be: visibility map and hint bits set, rows
        # frozen, statistics fresh and the dirty pages written, so no autovacuum or checkpoint of the
        # load itself runs during a measurement.
        await step("vacuum", "VACUUM (FREEZE, ANALYZE)")
        await step("checkpoint", "CHECKPOINT")
    finally:
        await conn.close()
    return steps


async def _keep_series_dates(conn: asyncpg.Connection, first: int, last: int) -> None:
    """Each loaded series keeps the dates its card lists, as the bot keeps them when a series starts or
    moves on (``core.series.keep_coming``): worked out here, with the bot's own function."""
    rows = await conn.fetch(
        "SELECT id, recurrence, series_start, occurrence_start, starts_at, timezone, skipped_dates, moved_dates "
        "FROM events WHERE id BETWEEN $1 AND $2 AND recurrence IS NOT NULL",
        first,
        last,
    )
    kept = [
        (
            row["id"],
            recurrence.coming(
                row["recurrence"],
                row["series_start"],
                row["timezone"],
                max(row["starts_at"], row["occurrence_start"]),
                row["skipped_dates"],
                row["moved_dates"],
            ),
        )
        for row in rows
    ]
    await conn.execute("CREATE TEMP TABLE kept_dates (id int PRIMARY KEY, coming text) ON COMMIT DROP")
    await conn.copy_records_to_table("kept_dates", records=kept)
    await conn.execute("UPDATE events e SET coming_dates = k.coming FROM kept_dates k WHERE e.id = k.id")
    await conn.execute("DROP TABLE kept_dates")


POLLS = 1_000  # time polls loaded after the events (the "vote" path taps them), each with a card
POLL_OPTIONS = 3
POLL_VOTERS = 4  # votes already on each time


def poll_event(events: int, j: int) -> int:
    """The event id of loaded poll ``j`` (1..POLLS), after ``events`` events."""
    return events + j


def poll_option(j: int, k: int) -> int:
    """The id of time ``k`` (1..POLL_OPTIONS) of loaded poll ``j``."""
    return (j - 1) * POLL_OPTIONS + k


async def load_polls(url: str, events: int, count: int = POLLS) -> None:
    """Load ``count`` undecided polls after events ``1..events``: three times each, a few votes, a card."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    first, last = events + 1, events + count
    try:
        async with conn.transaction():
            await conn.execute(
                f"""
                INSERT INTO events (id, link_id, title, starts_at, timezone, creator_user_id, chat_id,
                                    code_hash, sequence, created_at, updated_at, reminder_minutes, kind)
                SELECT i, {_link_sql("x")}, 'Bench poll ' || i, date_trunc('minute', now()) + interval '30 days',
                       'Europe/Paris', 10000000 + i % 50000, -({GROUP_BASE} + i % {GROUPS}), $3, 1,
                       now() - interval '1 day', now() - interval '1 day', '', 'poll'
                FROM generate_series($1::int, $2::int) AS i,
                     LATERAL (SELECT (i::bigint * {MULTIPLIER} + {OFFSET}) % {KEYSPACE} AS x) AS key
                """,
                first,
                last,
                CODE_HASH,
            )
            await conn.execute(
                f"""
                INSERT INTO poll_options (id, event_id, position, starts_at)
                SELECT (i - $1) * {POLL_OPTIONS} + k, i, k,
                       date_trunc('minute', now()) + make_interval(days => 29 + k)
                FROM generate_series($1::int, $2::int) AS i, generate_series(1, {POLL_OPTIONS}) AS k
                """,
                first,
                last,
            )
            await conn.execute(
                f"""
                INSERT INTO poll_votes (option_id, user_id, name, answer, voted_at)
                SELECT o.id, 30000000 + o.id::bigint * 8 + v, 'Voter ' || v,
                       (ARRAY['yes', 'maybe', 'no'])[1 + (o.id + v) % 3], now() - interval '1 hour'
                FROM poll_options o, generate_series(1, {POLL_VOTERS}) AS v
                WHERE o.event_id BETWEEN $1 AND $2
                """,
                first,
                last,
            )
            await conn.execute(
                f"""
                INSERT INTO posted_cards (event_id, chat_id, message_id, inline_message_id, created_at)
                SELECT i, -({GROUP_BASE} + i % {GROUPS}), {CARD_MESSAGE_BASE} + i, NULL, now()
                FROM generate_series($1::int, $2::int) AS i
                """,
                first,
                last,
            )
            for table in ("events", "poll_options", "posted_cards"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
        await conn.execute("VACUUM ANALYZE events, poll_options, poll_votes, posted_cards")
    finally:
        await conn.close()


async def _drop_secondary_indexes(conn: asyncpg.Connection) -> list[str]:
    """Drop every index of the loaded tables but their primary keys; return the statements that remake them."""
    rows = await conn.fetch(
        """
        SELECT i.indexrelid::regclass::text AS index, t.relname AS table, c.conname AS constraint,
               pg_get_indexdef(i.indexrelid) AS index_def,
               pg_get_constraintdef(c.oid) AS constraint_def
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
        WHERE t.relname = ANY($1::text[]) AND NOT i.indisprimary
        """,
        list(LOADED_TABLES),
    )
    rebuild = []
    for row in rows:
        if row["constraint"] is not None:
            await conn.execute(f'ALTER TABLE {row["table"]} DROP CONSTRAINT "{row["constraint"]}"')
            rebuild.append(
                f'ALTER TABLE {row["table"]} ADD CONSTRAINT "{row["constraint"]}" {row["constraint_def"]}'
            )
        else:
            await conn.execute(f"DROP INDEX {row['index']}")
            rebuild.append(row["index_def"])
    return rebuild


async def count_rows(url: str, table: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()
