"""Answer taps on PostgreSQL in one statement each, straight on asyncpg as the bot runs them, under
contention: exact seats, a waitlist in the order taps landed, and each freed seat given once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core import attendance, service
from core.access import Requester
from core.events import GOING, NO, WAITING
from tests.integration.actions import set_capacity

CREATOR = 1001


async def make(uows, seats: int) -> str:
    created = await service.create_event(
        uows(),
        title="One seat",
        when=datetime.now(UTC) + timedelta(days=2),
        timezone="UTC",
        creator_user_id=CREATOR,
        rounds=4,
    )
    await set_capacity(uows(), created.event.link_id, Requester(CREATOR), seats)
    return created.event.link_id


async def tap(uows, link: str, user: int, answer: str) -> attendance.RsvpOutcome:
    return await attendance.respond(uows(), link, user_id=user, name=f"P{user}", answer=answer)


async def test_fifty_taps_at_once_for_one_seat_give_one_seat_and_a_waitlist_in_landing_order(uows):
    link = await make(uows, 1)
    outcomes = await asyncio.gather(*(tap(uows, link, 100 + i, GOING) for i in range(50)))
    assert sorted(o.status for o in outcomes).count(GOING) == 1
    # Each person waiting was told a different place, and the list is in exactly that order.
    told = {100 + i: o.position for i, o in enumerate(outcomes) if o.status == WAITING}
    assert sorted(told.values()) == list(range(1, 50))
    event = await service.get_event(uows(), link)
    assert [a.user_id for a in event.rsvps.going] == [
        100 + i for i, o in enumerate(outcomes) if o.status == GOING
    ]
    assert [a.user_id for a in event.rsvps.waiting] == sorted(told, key=told.__getitem__)


async def test_seats_freed_at_once_each_go_to_one_person_once_in_waitlist_order(uows):
    link = await make(uows, 5)
    for i in range(20):  # one at a time: 5 going, 15 waiting in this order
        await tap(uows, link, 100 + i, GOING)
    leaving = [100, 101, 102, 103]  # four of the five going leave at the same moment
    outcomes = await asyncio.gather(*(tap(uows, link, user, NO) for user in leaving))
    promoted = [person.user_id for o in outcomes for person in o.promoted]
    assert sorted(promoted) == [105, 106, 107, 108]  # the first four waiting, each told once
    event = await service.get_event(uows(), link)
    assert [a.user_id for a in event.rsvps.going] == [104, 105, 106, 107, 108]
    assert [a.user_id for a in event.rsvps.waiting] == list(range(109, 120))


async def test_many_people_changing_their_minds_at_once_never_overfill(uows):
    link = await make(uows, 3)
    answers = [GOING, NO, GOING, GOING, NO, GOING]
    await asyncio.gather(
        *(
            tap(uows, link, 100 + person, answers[(person + round_) % len(answers)])
            for round_ in range(6)
            for person in range(12)
        )
    )
    event = await service.get_event(uows(), link)
    assert len(event.rsvps.going) <= 3
    if event.rsvps.waiting:
        assert len(event.rsvps.going) == 3  # nobody waits while a seat is free
