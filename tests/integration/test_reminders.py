"""Reminders are planned in the database, move with the event, and are claimed once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core import attendance, cards, reminders, service
from core.access import Requester
from core.errors import InvalidField, NotAllowed
from core.events import GOING, MAYBE
from tests.integration.actions import edit, set_reminders

CREATOR = 1001
OWNER = Requester(CREATOR)


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hours, minutes=minutes)


NOW = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)


async def make(uow_factory, starts: datetime, **overrides) -> str:
    created = await service.create_event(
        uow_factory(),
        title="Match",
        when=starts,
        timezone="UTC",
        creator_user_id=CREATOR,
        rounds=4,
        now=NOW,
        **overrides,
    )
    return created.event.link_id


async def test_new_events_get_reminders_a_day_and_an_hour_before(uow_factory):
    link = await make(uow_factory, at(days=3))
    assert await reminders.pending_reminders(uow_factory(), link) == [at(days=2), at(days=3, hours=-1)]


async def test_reminders_already_in_the_past_are_not_planned(uow_factory):
    link = await make(uow_factory, at(hours=5))
    assert await reminders.pending_reminders(uow_factory(), link) == [at(hours=4)]


async def test_moving_the_event_moves_its_reminders_and_deleting_cancels_them(uow_factory):
    link = await make(uow_factory, at(days=3))
    await edit(uow_factory(), link, OWNER, "when", f"{at(days=5):%Y-%m-%d %H:%M} UTC", now=NOW)
    assert await reminders.pending_reminders(uow_factory(), link) == [at(days=4), at(days=5, hours=-1)]
    await edit(uow_factory(), link, OWNER, "title", "Renamed", now=NOW)
    assert len(await reminders.pending_reminders(uow_factory(), link)) == 2
    await service.delete_event(uow_factory(), link, OWNER, now=NOW)
    assert await reminders.pending_reminders(uow_factory(), link) == []
    assert await reminders.claim_due(uow_factory(), now=at(days=6)) == []


async def test_reminders_can_be_changed_or_turned_off_by_whoever_may_edit(uow_factory):
    link = await make(uow_factory, at(days=3))
    await set_reminders(uow_factory(), link, OWNER, (30, 180), now=NOW)
    assert await reminders.pending_reminders(uow_factory(), link) == [
        at(days=3, hours=-3),
        at(days=3, minutes=-30),
    ]
    view = await set_reminders(uow_factory(), link, OWNER, (), now=NOW)
    assert view.reminder_minutes == ()
    assert await reminders.pending_reminders(uow_factory(), link) == []
    with pytest.raises(NotAllowed):
        await set_reminders(uow_factory(), link, Requester(5), (60,), now=NOW)
    with pytest.raises(InvalidField):
        await set_reminders(uow_factory(), link, OWNER, (0,), now=NOW)
    with pytest.raises(InvalidField):
        await set_reminders(uow_factory(), link, OWNER, (1, 2, 3, 4, 5, 6), now=NOW)


async def test_a_due_reminder_names_the_group_chats_and_the_people_going(uow_factory):
    link = await make(uow_factory, at(days=3))
    await cards.record_card(uow_factory(), link, chat_id=-100, message_id=1)
    await cards.record_card(uow_factory(), link, chat_id=-100, message_id=2)
    await cards.record_card(uow_factory(), link, chat_id=77, message_id=3)  # someone's private view
    await attendance.respond(uow_factory(), link, user_id=5, name="Ann", answer=GOING, now=NOW)
    await attendance.respond(uow_factory(), link, user_id=6, name="Ben", answer=MAYBE, now=NOW)
    assert await reminders.claim_due(uow_factory(), now=at(days=1)) == []
    [due] = await reminders.claim_due(uow_factory(), now=at(days=2, minutes=1))
    assert due.minutes_before == 1440
    assert due.chat_ids == (-100,)
    assert due.going_user_ids == (5,)
    assert due.event.link_id == link
    # Claimed: nobody else gets it while the lease lasts.
    assert await reminders.claim_due(uow_factory(), now=at(days=2, minutes=2)) == []


async def test_a_reminder_whose_process_died_is_taken_over_after_the_lease(uow_factory):
    link = await make(uow_factory, at(days=3))
    [due] = await reminders.claim_due(uow_factory(), now=at(days=2))
    assert await reminders.start_delivery(uow_factory(), due.reminder_id, -100)
    later = at(days=2) + reminders.LEASE + timedelta(seconds=1)
    [again] = await reminders.claim_due(uow_factory(), now=later)
    assert again.reminder_id == due.reminder_id
    # The recipient already recorded is not messaged a second time.
    assert not await reminders.start_delivery(uow_factory(), again.reminder_id, -100)
    assert await reminders.start_delivery(uow_factory(), again.reminder_id, 5)
    await reminders.finish(uow_factory(), again.reminder_id, now=later)
    assert await reminders.claim_due(uow_factory(), now=later + reminders.LEASE * 2) == []
    assert link


async def test_after_downtime_reminders_still_before_the_start_go_and_later_ones_are_dropped(uow_factory):
    started = await make(uow_factory, at(hours=3))
    upcoming = await make(uow_factory, at(days=2))
    # The bot was down from now until 26 hours from now: the first event began, the second is near.
    due = await reminders.claim_due(uow_factory(), now=at(hours=26))
    assert [(d.event.link_id, d.minutes_before) for d in due] == [(upcoming, 1440)]
    assert started not in {
        d.event.link_id for d in await reminders.claim_due(uow_factory(), now=at(hours=27))
    }


async def test_two_claimers_at_once_never_take_the_same_reminder(committing_uow_factory):
    for i in range(20):
        await service.create_event(
            committing_uow_factory(), title=f"E{i}", when=at(days=3), timezone="UTC", rounds=4, now=NOW
        )
    claims = await asyncio.gather(
        *(
            reminders.claim_due(committing_uow_factory(), now=at(days=3, minutes=-30), limit=7)
            for _ in range(6)
        )
    )
    ids = [d.reminder_id for claim in claims for d in claim]
    assert len(ids) == len(set(ids)) == 40
