"""Shared fixtures: a migrated PostgreSQL database and a SQLite file per test run, isolated per test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from core.storage.engine import make_engine
from core.storage.migrate import migrate
from core.storage.models import Base
from core.storage.uow import SqlAlchemyUnitOfWork

# A server where the test run may create and drop its own database.
POSTGRES_ADMIN_URL = os.environ.get(
    "SKEDJIT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = bool(os.environ.get("CI"))

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
T = TypeVar("T")


async def _create_database(admin_url: str, name: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


async def _drop_database(admin_url: str, name: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when called inside a running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create and migrate a database of its own on the server; drop it afterwards.

    Unreachable means skip, or fail in CI (where the PostgreSQL tests must run).
    """
    name = f"skedjit_test_{uuid.uuid4().hex[:12]}"
    try:
        run_blocking(_create_database(POSTGRES_ADMIN_URL, name))
    except (OSError, SQLAlchemyError) as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc!r}"
        if IN_CI:
            pytest.fail(message + " (CI must run the PostgreSQL tests)", pytrace=False)
        pytest.skip(message)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        run_blocking(_migrate(url))
        yield url
    finally:
        run_blocking(_drop_database(POSTGRES_ADMIN_URL, name))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this run."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file for this run."""
    path: Path = tmp_path_factory.mktemp("sqlite") / "skedjit.db"
    url = f"sqlite+aiosqlite:///{path}"
    run_blocking(_migrate(url))
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that asks for a database runs once on SQLite and once on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def uow_factory(engine: AsyncEngine) -> AsyncIterator[UowFactory]:
    """Units of work inside one outer transaction that is rolled back after the test.

    Each unit of work opens a new session, so the code under test really reads from the database;
    its commits release a savepoint, never the outer transaction.
    """
    async with engine.connect() as connection:
        transaction = await connection.begin()
        factory = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        yield lambda: SqlAlchemyUnitOfWork(factory)
        await transaction.rollback()


@pytest.fixture
async def uow(uow_factory: UowFactory) -> SqlAlchemyUnitOfWork:
    return uow_factory()


@pytest.fixture
async def committing_uow_factory(engine: AsyncEngine) -> AsyncIterator[UowFactory]:
    """Units of work that really commit, on separate connections, for tests of concurrency.

    Every table is emptied afterwards, so no other test sees these rows.
    """
    factory = async_sessionmaker(engine, expire_on_commit=False)
    yield lambda: SqlAlchemyUnitOfWork(factory)
    async with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(table.delete())
