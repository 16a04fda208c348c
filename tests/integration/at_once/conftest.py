"""Taps under contention, on PostgreSQL only and as the bot runs them: straight on asyncpg through
DirectViews, each unit of work committing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from core.storage.direct import DirectViews
from core.storage.engine import open_direct_views
from core.storage.uow import SqlAlchemyUnitOfWork


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
async def direct(engine: AsyncEngine) -> AsyncIterator[DirectViews]:
    views = await open_direct_views(engine, pool_size=12)
    assert views is not None
    yield views
    await views.close()


@pytest.fixture
def uows(engine: AsyncEngine, direct: DirectViews, committing_uow_factory):
    factory = async_sessionmaker(engine, expire_on_commit=False)
    return lambda: SqlAlchemyUnitOfWork(factory, None, direct)
