"""Engine and session factory for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from core.storage.direct import DirectViews

SessionFactory = async_sessionmaker[AsyncSession]


def make_engine(url: str, *, pool_size: int = 5, **kwargs: Any) -> AsyncEngine:
    """Create an engine with the settings each database needs."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 15}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine
    # Several processes share one server, and each connection costs it memory: keep pools small.
    kwargs.setdefault("pool_size", pool_size)
    kwargs.setdefault("max_overflow", pool_size)
    # No pool_pre_ping: on asyncpg it costs three round trips per checkout (BEGIN, ;, ROLLBACK), more
    # than a view's own work. A connection the server dropped fails once instead; SQLAlchemy then
    # invalidates the pool, the user is told to try again, and the next request reconnects.
    kwargs.setdefault("pool_recycle", 1800)
    return create_async_engine(url, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions start (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue (busy_timeout) instead of
    # one failing half-way with "database is locked". Readers in WAL mode are not blocked.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


def make_autocommit_factory(engine: AsyncEngine) -> SessionFactory | None:
    """Sessions whose statements each commit on their own (PostgreSQL only; see single_statement)."""
    if engine.dialect.name != "postgresql":
        return None
    return async_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


async def open_direct_views(engine: AsyncEngine, *, pool_size: int) -> DirectViews | None:
    """The batched asyncpg path for views (PostgreSQL only; see core/storage/direct.py)."""
    if engine.dialect.name != "postgresql":
        return None
    _, connect_args = engine.dialect.create_connect_args(engine.url)
    views = DirectViews.for_engine_url(engine.url, dict(connect_args), pool_size=pool_size)
    await views.open()
    return views
