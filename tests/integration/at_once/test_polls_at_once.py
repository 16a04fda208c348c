"""Poll votes on PostgreSQL in one statement each, as the bot runs them (straight on asyncpg), under
contention; and a deadline decided by two processes at once, exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from core import polls, service
from core.errors import PollOptionGone
from core.storage.engine import make_engine
from core.storage.models import Notice, Rsvp
from core.storage.uow import SqlAlchemyUnitOfWork

CREATOR = 1001


async def make(uows, closes: datetime | None = None) -> polls.PollView:
    now = datetime.now(UTC)
    created = await polls.create_poll(
        uows(),
        title="Board games",
        options=[now + timedelta(days=d) for d in (2, 3, 4)],
        closes=closes,
        timezone="UTC",
        creator_user_id=CREATOR,
        rounds=4,
    )
    return created.poll


async def test_thirty_people_tapping_at_once_and_one_tapping_many_times_lose_no_tap(uows):
    poll = await make(uows)
    link, option = poll.event.link_id, poll.options[0].id
    before = (await service.get_event(uows(), link)).card_version

    async def tap(user: int) -> str:
        return (await polls.vote(uows(), link, option, user_id=user, name=f"P{user}")).answer

    # Thirty people once each, and person 99 seven times, all at once.
    answers = await asyncio.gather(*(tap(user) for user in range(1, 31)), *(tap(99) for _ in range(7)))
    assert answers[:30] == ["yes"] * 30
    # Seven taps from one person walk the cycle seven steps, whatever order they landed in.
    assert sorted(answers[30:]) == sorted(["yes", "maybe", "no", "yes", "maybe", "no", "yes"])
    view = await polls.view_poll(uows(), link)
    yes = {v.user_id for v in view.options[0].yes}
    assert yes == set(range(1, 31)) | {99}  # the seventh step is yes again
    assert view.options[0].maybe == () and view.options[0].no_count == 0
    assert (await service.get_event(uows(), link)).card_version == before + 37


async def test_a_deadline_seen_by_two_processes_at_once_is_decided_once(postgres_url, committing_uow_factory):
    engines = [make_engine(postgres_url) for _ in range(2)]
    factories = [async_sessionmaker(engine, expire_on_commit=False) for engine in engines]
    try:
        first = lambda: SqlAlchemyUnitOfWork(factories[0])  # noqa: E731
        second = lambda: SqlAlchemyUnitOfWork(factories[1])  # noqa: E731
        closes = datetime.now(UTC) + timedelta(seconds=2)
        poll = await make(first, closes=closes)
        for user in (1, 2, 3):
            await polls.vote(first(), poll.event.link_id, poll.options[1].id, user_id=user, name=f"P{user}")
        later = closes + timedelta(seconds=1)
        for _round in range(5):
            results = await asyncio.gather(
                polls.close_due_polls(first(), now=later), polls.close_due_polls(second(), now=later)
            )
            assert sum(results) <= 1
            if _round == 0:
                assert sum(results) == 1
        event = await service.get_event(first(), poll.event.link_id)
        assert event.kind == "event" and event.starts_at == poll.options[1].starts_at
        uow = first()
        async with uow:
            rsvps = (await uow.session.execute(select(func.count()).select_from(Rsvp))).scalar_one()
            notices = (await uow.session.execute(select(func.count()).select_from(Notice))).scalar_one()
        assert rsvps == 3 and notices == 3
        assert [a.user_id for a in event.rsvps.going] == [1, 2, 3]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_vote_waiting_on_an_edit_that_takes_its_time_off_is_told_and_stores_nothing(uows, engine):
    poll = await make(uows)
    link, doomed = poll.event.link_id, poll.options[0].id
    async with engine.connect() as editing:  # an edit holding the poll's row while it takes a time off
        await editing.execute(
            text("UPDATE events SET card_version = card_version + 1 WHERE link_id = :link"), {"link": link}
        )
        await editing.execute(text("DELETE FROM poll_options WHERE id = :id"), {"id": doomed})
        voting = asyncio.create_task(polls.vote(uows(), link, doomed, user_id=7, name="Late"))
        await asyncio.sleep(0.3)
        assert not voting.done()  # queued behind the edit, on the poll's row
        await editing.commit()
    with pytest.raises(PollOptionGone):
        await voting
    view = await polls.view_poll(uows(), link)
    assert [o.id for o in view.options] == [o.id for o in poll.options[1:]]
    assert all(not o.yes for o in view.options)
