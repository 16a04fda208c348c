"""The batched asyncpg path for views, on PostgreSQL with committed rows: it must agree with the session path.

The bot uses it only on PostgreSQL outside a test transaction (core/storage/direct.py), so these tests
commit their rows (``committing_uow_factory``, emptied afterwards) and run on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from core import attendance, cards, chat_settings, service
from core.access import Requester
from core.errors import DatabaseUnavailable, EventNotFound
from core.events import GOING, MAYBE, NO
from core.storage.direct import DirectViews
from core.storage.engine import make_engine, open_direct_views
from core.storage.uow import SqlAlchemyUnitOfWork
from tests.integration.actions import set_capacity

ROUNDS = 4
CREATOR = 2002


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: SQLite has no such path."""
    return postgres_url


@pytest.fixture
async def direct(engine: AsyncEngine) -> AsyncIterator[DirectViews]:
    views = await open_direct_views(engine, pool_size=4)
    assert views is not None
    yield views
    await views.close()


@pytest.fixture
def both(engine: AsyncEngine, direct: DirectViews, committing_uow_factory):
    """Two ways to the same committed rows: through the session, and straight on asyncpg."""
    factory = async_sessionmaker(engine, expire_on_commit=False)
    return {
        "session": committing_uow_factory,
        "direct": lambda: SqlAlchemyUnitOfWork(factory, None, direct),
    }


async def _create(uow_factory, title: str, **fields) -> str:
    created = await service.create_event(
        uow_factory(),
        title=title,
        when=datetime.now(UTC) + timedelta(days=3),
        timezone="Europe/Paris",
        creator_user_id=CREATOR,
        chat_id=-100,
        rounds=ROUNDS,
        **fields,
    )
    return created.event.link_id


async def test_a_view_reads_the_same_event_answers_and_timezone_both_ways(both):
    uows = both["session"]
    link = await _create(uows, "Picnic", location="Park", description="Bring <food> & drinks")
    await set_capacity(uows(), link, Requester(CREATOR), 2)
    for user, name, answer in [
        (1, "Ann", GOING),
        (2, "Bob", MAYBE),
        (3, "Cy", GOING),
        (4, "Di", GOING),
        (5, "Ed", NO),
    ]:
        await attendance.respond(uows(), link, user_id=user, name=name, answer=answer)
    await chat_settings.set_chat_timezone(uows(), 77, "America/New_York")

    session_view = await service.view_event(both["session"](), link, viewer_chat_id=77)
    direct_view = await service.view_event(both["direct"](), link, viewer_chat_id=77)

    assert direct_view == session_view
    event, zone, _ = direct_view
    assert zone == "America/New_York"
    assert [p.name for p in event.rsvps.going] == ["Ann", "Cy"]
    assert [p.name for p in event.rsvps.waiting] == ["Di"]
    assert [p.name for p in event.rsvps.maybe] == ["Bob"] and event.rsvps.no_count == 1
    assert (event.title, event.location, event.capacity) == ("Picnic", "Park", 2)
    assert event.starts_at.tzinfo is not None and event.starts_at.utcoffset() == timedelta(0)


async def test_a_cancelled_event_without_answers_and_a_viewer_without_a_zone_read_the_same(both):
    uows = both["session"]
    link = await _create(uows, "Cancelled")
    await service.delete_event(uows(), link, Requester(CREATOR))

    session_view = await service.view_event(both["session"](), link, viewer_chat_id=5)
    direct_view = await service.view_event(both["direct"](), link, viewer_chat_id=5)

    assert direct_view == session_view
    assert direct_view[0].is_cancelled and direct_view[1] is None


async def test_an_unknown_link_is_not_found_either_way(both):
    for way in ("session", "direct"):
        with pytest.raises(EventNotFound):
            await service.view_event(both[way](), "Zz9Zz9Zz9Z")


async def test_views_arriving_together_share_statements_and_each_gets_its_own_event(both, direct):
    uows = both["session"]
    links = [await _create(uows, f"Event {i}") for i in range(12)]
    await attendance.respond(uows(), links[3], user_id=9, name="Only", answer=GOING)
    batches_before = direct.reads.batches

    asked = [*links, links[3], "Zz9Zz9Zz9Z"]
    results = await asyncio.gather(
        *(service.view_event(both["direct"](), link) for link in asked), return_exceptions=True
    )

    assert [r[0].title for r in results[:12]] == [f"Event {i}" for i in range(12)]
    assert results[12][0].rsvps.going[0].name == "Only" and results[3] == results[12]
    assert not results[0][0].rsvps.going
    assert isinstance(results[13], EventNotFound)
    assert direct.reads.batches - batches_before < len(asked) / 2


async def test_cards_recorded_together_are_each_remembered_once(both, direct):
    uows = both["session"]
    links = [await _create(uows, f"Card {i}") for i in range(5)]
    way = both["direct"]
    writes_before = direct.writes.batches

    await asyncio.gather(
        *(
            cards.record_card(way(), link, chat_id=-500 - i, message_id=10 + i)
            for i, link in enumerate(links)
        ),
        cards.record_card(way(), links[0], inline_message_id="inline-abc"),
        cards.record_card(way(), "Zz9Zz9Zz9Z", chat_id=-1, message_id=1),  # no such event: nothing
    )
    await cards.record_card(way(), links[0], chat_id=-500, message_id=10)  # known already: nothing

    assert direct.writes.batches - writes_before <= 3
    first = await cards.posted_cards(uows(), links[0])
    assert [(c.chat_id, c.message_id, c.inline_message_id) for c in first] == [
        (-500, 10, None),
        (None, None, "inline-abc"),
    ]
    for i, link in enumerate(links[1:], start=1):
        assert [(c.chat_id, c.message_id) for c in await cards.posted_cards(uows(), link)] == [
            (-500 - i, 10 + i)
        ]


async def test_a_card_recorded_this_way_is_found_by_the_session_path(both):
    link = await _create(both["session"], "Mixed")
    await cards.record_card(both["direct"](), link, chat_id=-42, message_id=4)
    await cards.record_card(both["session"](), link, chat_id=-42, message_id=4)  # the same card: no-op

    posted = await cards.posted_cards(both["session"](), link)
    assert [(c.chat_id, c.message_id) for c in posted] == [(-42, 4)]


async def test_without_its_server_a_view_and_a_card_record_say_the_database_is_unavailable(
    engine: AsyncEngine, committing_uow_factory
):
    link = await _create(committing_uow_factory, "Outage")
    nowhere = make_engine(engine.url.set(host="127.0.0.1", port=1).render_as_string(hide_password=False))
    down = await open_direct_views(nowhere, pool_size=2)
    assert down is not None
    factory = async_sessionmaker(engine, expire_on_commit=False)
    try:
        with pytest.raises(DatabaseUnavailable):
            await service.view_event(SqlAlchemyUnitOfWork(factory, None, down), link)
        with pytest.raises(DatabaseUnavailable):
            await cards.record_card(SqlAlchemyUnitOfWork(factory, None, down), link, chat_id=-1, message_id=1)
    finally:
        await down.close()
        await nowhere.dispose()


async def test_sqlite_has_no_direct_path(sqlite_url: str):
    engine = make_engine(sqlite_url)
    try:
        assert await open_direct_views(engine, pool_size=2) is None
    finally:
        await engine.dispose()
