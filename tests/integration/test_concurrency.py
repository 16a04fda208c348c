"""Races between real transactions on separate connections, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core import claims, flows, service
from core.access import Requester
from core.errors import ClaimNotFound, ConcurrentChange, WrongSecretCode
from tests.integration.actions import edit, set_capacity

ROUNDS = 4
CREATOR = 1001


async def test_two_updates_racing_on_one_event_both_land(committing_uow_factory):
    created = await service.create_event(
        committing_uow_factory(),
        title="Race",
        when=datetime.now(UTC) + timedelta(days=2),
        timezone="UTC",
        creator_user_id=CREATOR,
        rounds=ROUNDS,
    )
    link = created.event.link_id
    owner = Requester(CREATOR)
    await asyncio.gather(
        edit(committing_uow_factory(), link, owner, "title", "New title"),
        edit(committing_uow_factory(), link, owner, "location", "New place"),
    )
    event = await service.get_event(committing_uow_factory(), link)
    assert (event.title, event.location) == ("New title", "New place")
    assert event.sequence == created.event.sequence + 2


async def test_many_creates_at_once_each_get_their_own_event(committing_uow_factory):
    start = datetime.now(UTC) + timedelta(days=1)
    results = await asyncio.gather(
        *(
            service.create_event(
                committing_uow_factory(),
                title=f"Event {i}",
                when=start,
                timezone="UTC",
                creator_user_id=CREATOR,
                rounds=ROUNDS,
            )
            for i in range(25)
        )
    )
    assert len({r.event.link_id for r in results}) == 25
    assert len({r.secret_code for r in results}) == 25
    listed = await service.list_user_events(committing_uow_factory(), CREATOR, limit=100)
    assert sorted(e.title for e in listed) == sorted(f"Event {i}" for i in range(25))


async def test_a_claim_raced_by_two_taps_is_redeemed_once(committing_uow_factory):
    created = await service.create_event(
        committing_uow_factory(),
        title="Claim race",
        when=datetime.now(UTC) + timedelta(days=2),
        timezone="UTC",
        creator_user_id=CREATOR,
        rounds=ROUNDS,
    )
    token = await claims.create_claim(committing_uow_factory(), created.event.link_id, CREATOR)
    results = await asyncio.gather(
        claims.redeem_claim(committing_uow_factory(), token, CREATOR, rounds=ROUNDS),
        claims.redeem_claim(committing_uow_factory(), token, CREATOR, rounds=ROUNDS),
        return_exceptions=True,
    )
    assert sum(isinstance(r, service.NewCode) for r in results) == 1
    assert sum(isinstance(r, ClaimNotFound) for r in results) == 1


async def test_a_guided_flow_taken_by_two_racing_taps_is_given_to_one(committing_uow_factory):
    await flows.save_flow(committing_uow_factory(), 7, 7, "new_confirm", {"title": "Picnic"})
    results = await asyncio.gather(
        *(flows.take_flow(committing_uow_factory(), 7, 7, "new_confirm") for _ in range(3))
    )
    assert [r.data for r in results if r is not None] == [{"title": "Picnic"}]
    assert await flows.get_flow(committing_uow_factory(), 7, 7) is None


async def test_many_people_racing_for_the_last_seats_never_overfill_the_event(committing_uow_factory):
    from core import attendance
    from core.events import GOING, WAITING

    created = await service.create_event(
        committing_uow_factory(),
        title="Small room",
        when=datetime.now(UTC) + timedelta(days=2),
        timezone="UTC",
        creator_user_id=CREATOR,
        rounds=ROUNDS,
    )
    link = created.event.link_id
    await set_capacity(committing_uow_factory(), link, Requester(CREATOR), 3)
    outcomes = await asyncio.gather(
        *(
            attendance.respond(committing_uow_factory(), link, user_id=100 + i, name=f"P{i}", answer=GOING)
            for i in range(12)
        )
    )
    assert sorted(o.status for o in outcomes).count(GOING) == 3
    assert sorted(o.status for o in outcomes).count(WAITING) == 9
    event = await service.get_event(committing_uow_factory(), link)
    assert len(event.rsvps.going) == 3 and len(event.rsvps.waiting) == 9


async def test_the_same_request_handled_by_two_processes_at_once_creates_one_event(committing_uow_factory):
    results = await asyncio.gather(
        *(
            service.create_event(
                committing_uow_factory(),
                title="Retried",
                when=datetime.now(UTC) + timedelta(days=2),
                timezone="UTC",
                creator_user_id=CREATOR,
                rounds=ROUNDS,
                origin="-100:7",
            )
            for _ in range(4)
        )
    )
    assert len({r.event.link_id for r in results}) == 1
    assert sum(not r.repeated for r in results) == 1


async def test_two_code_replacements_at_once_show_one_code_and_it_is_the_one_that_works(
    committing_uow_factory,
):
    """Issue 10.12: two /newcode on two processes sent two codes, and the last one shown did not work."""
    created = await service.create_event(
        committing_uow_factory(),
        title="Rotation race",
        when=datetime.now(UTC) + timedelta(days=2),
        timezone="UTC",
        creator_user_id=CREATOR,
        rounds=ROUNDS,
    )
    link = created.event.link_id
    results = await asyncio.gather(
        *(
            service.rotate_code(committing_uow_factory(), link, Requester(CREATOR), rounds=ROUNDS)
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    made = sorted((r for r in results if isinstance(r, service.NewCode)), key=lambda r: r.event.sequence)
    # Racing, one is told to try again; one after the other, both are shown, and the later one works.
    assert len(made) + sum(isinstance(r, ConcurrentChange) for r in results) == 2
    holder = Requester(2002, private=True)
    assert (
        await edit(committing_uow_factory(), link, holder, "title", "Works", code=made[-1].secret_code)
    ).title == "Works"
    for earlier in made[:-1]:
        with pytest.raises(WrongSecretCode):
            await edit(committing_uow_factory(), link, holder, "title", "Old", code=earlier.secret_code)


async def test_one_reminder_recorded_for_one_chat_twice_at_once_goes_out_once(committing_uow_factory):
    """Issue 10.12: two deliveries recorded at once raised IntegrityError and aborted the rest of a batch."""
    from core import reminders

    created = await service.create_event(
        committing_uow_factory(),
        title="Reminder race",
        when=datetime.now(UTC) + timedelta(days=2),
        timezone="UTC",
        creator_user_id=CREATOR,
        rounds=ROUNDS,
    )
    [due] = await reminders.claim_due(
        committing_uow_factory(), now=datetime.now(UTC) + timedelta(days=1, hours=1)
    )
    assert due.event.link_id == created.event.link_id
    for _ in range(5):
        chat = -(10**12) - _
        fresh = await asyncio.gather(
            *(reminders.start_delivery(committing_uow_factory(), due.reminder_id, chat) for _ in range(3))
        )
        assert sorted(fresh) == [False, False, True]
