"""Migrations build the schema from nothing, match the models, and come down again, on both databases."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.storage.engine import make_engine
from core.storage.migrate import migrate
from core.storage.models import Base
from tests.conftest import POSTGRES_ADMIN_URL, _create_database, _drop_database

APP_TABLES = {t.name for t in Base.metadata.sorted_tables}


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_engine(request, tmp_path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        yield engine
        await engine.dispose()
        return
    request.getfixturevalue("postgres_url")  # skips, or fails in CI, when the server is down
    name = f"skedjit_migr_{uuid.uuid4().hex[:12]}"
    await _create_database(POSTGRES_ADMIN_URL, name)
    engine = make_engine(
        make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield engine
    finally:
        await engine.dispose()
        await _drop_database(POSTGRES_ADMIN_URL, name)


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def _drift(engine: AsyncEngine) -> list[object]:
    def compare(sync_conn):
        return compare_metadata(MigrationContext.configure(sync_conn), Base.metadata)

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


async def test_migrations_go_from_empty_to_head_and_down_again(empty_engine):
    assert not (await _tables(empty_engine)) & APP_TABLES
    await migrate(empty_engine, "upgrade", "head")
    assert APP_TABLES <= await _tables(empty_engine)
    await migrate(empty_engine, "downgrade", "base")
    assert not (await _tables(empty_engine)) & APP_TABLES
    await migrate(empty_engine, "upgrade", "head")
    assert APP_TABLES <= await _tables(empty_engine)


async def test_the_migrated_schema_matches_the_models(empty_engine):
    await migrate(empty_engine, "upgrade", "head")
    assert await _drift(empty_engine) == []


# SQLite serves one bot process; several processes share a database only on PostgreSQL.
@pytest.mark.parametrize("empty_engine", ["postgres"], indirect=True)
async def test_two_processes_migrating_at_once_do_not_collide(empty_engine):
    second = make_engine(empty_engine.url.render_as_string(hide_password=False))
    try:
        await asyncio.gather(migrate(empty_engine), migrate(second))
    finally:
        await second.dispose()
    assert APP_TABLES <= await _tables(empty_engine)


@pytest.mark.parametrize("empty_engine", ["postgres"], indirect=True)
async def test_a_failed_migration_reports_its_own_error_and_lets_the_next_one_run(empty_engine):
    async with empty_engine.begin() as conn:  # a table in the first migration's way
        await conn.execute(text("CREATE TABLE chat_settings (chat_id bigint)"))

    with pytest.raises(ProgrammingError, match='relation "chat_settings" already exists'):
        await migrate(empty_engine)

    async with empty_engine.begin() as conn:
        await conn.execute(text("DROP TABLE chat_settings"))
    # Another process takes the lock, though this one is still running with its pool open.
    other = make_engine(empty_engine.url.render_as_string(hide_password=False))
    try:
        await asyncio.wait_for(migrate(other), timeout=10)
    finally:
        await other.dispose()
    assert APP_TABLES <= await _tables(empty_engine)
