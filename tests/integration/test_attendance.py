"""RSVPs, capacity and the waitlist, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import attendance, service
from core.access import Requester
from core.errors import EventCancelled, EventStarted, InvalidField, NotAllowed
from core.events import GOING, MAYBE, NAME_MAX, NO, WAITING, Attendee
from tests.integration.actions import set_capacity

CREATOR = 1001
OWNER = Requester(CREATOR)


async def make(uow, **overrides) -> str:
    fields = {
        "title": "Dinner",
        "when": datetime.now(UTC) + timedelta(days=3),
        "timezone": "UTC",
        "creator_user_id": CREATOR,
        "rounds": 4,
    }
    fields.update(overrides)
    return (await service.create_event(uow, **fields)).event.link_id


async def answer(uow, link, user_id, what, name=None):
    return await attendance.respond(uow, link, user_id=user_id, name=name or f"User {user_id}", answer=what)


async def test_one_answer_per_person_and_a_second_tap_changes_it(uow):
    link = await make(uow)
    await answer(uow, link, 1, GOING, "Ann")
    await answer(uow, link, 2, MAYBE, "Ben")
    await answer(uow, link, 3, NO, "Cat")
    outcome = await answer(uow, link, 1, MAYBE, "Ann")
    summary = (await service.get_event(uow, link)).rsvps
    assert summary.going == ()
    assert summary.maybe == (Attendee(2, "Ben"), Attendee(1, "Ann"))
    assert summary.no_count == 1
    outcome = await answer(uow, link, 1, GOING, "Ann")
    assert outcome.status == GOING
    assert (await service.get_event(uow, link)).rsvps.going == (Attendee(1, "Ann"),)


async def test_past_capacity_going_joins_a_waitlist_in_order(uow):
    link = await make(uow)
    await set_capacity(uow, link, OWNER, 2)
    statuses = [(await answer(uow, link, user, GOING)).status for user in (1, 2, 3, 4)]
    assert statuses == [GOING, GOING, WAITING, WAITING]
    again = await answer(uow, link, 3, GOING)
    assert again.status == WAITING
    assert [a.user_id for a in (await service.get_event(uow, link)).rsvps.waiting] == [3, 4]


async def test_when_someone_leaves_the_first_waiting_is_promoted(uow):
    link = await make(uow)
    await set_capacity(uow, link, OWNER, 1)
    await answer(uow, link, 1, GOING)
    await answer(uow, link, 2, GOING)
    await answer(uow, link, 3, GOING)
    outcome = await answer(uow, link, 1, NO)
    assert outcome.promoted == (Attendee(2, "User 2"),)
    assert [a.user_id for a in (await service.get_event(uow, link)).rsvps.going] == [2]
    assert [a.user_id for a in (await service.get_event(uow, link)).rsvps.waiting] == [3]


async def test_leaving_the_waitlist_promotes_nobody(uow):
    link = await make(uow)
    await set_capacity(uow, link, OWNER, 1)
    await answer(uow, link, 1, GOING)
    await answer(uow, link, 2, GOING)
    outcome = await answer(uow, link, 2, MAYBE)
    assert outcome.promoted == ()
    assert (await service.get_event(uow, link)).rsvps.waiting == ()


async def test_raising_capacity_promotes_and_lowering_it_removes_nobody(uow):
    link = await make(uow)
    await set_capacity(uow, link, OWNER, 1)
    for user in (1, 2, 3):
        await answer(uow, link, user, GOING)
    raised = await set_capacity(uow, link, OWNER, 2)
    assert raised.promoted == (Attendee(2, "User 2"),)
    lowered = await set_capacity(uow, link, OWNER, 1)
    assert [a.user_id for a in lowered.event.rsvps.going] == [1, 2]
    unlimited = await set_capacity(uow, link, OWNER, 0)
    assert unlimited.event.capacity is None
    assert unlimited.promoted == (Attendee(3, "User 3"),)


async def test_capacity_needs_the_right_to_edit_and_a_sane_number(uow):
    link = await make(uow)
    with pytest.raises(NotAllowed):
        await set_capacity(uow, link, Requester(5), 3)
    with pytest.raises(InvalidField):
        await set_capacity(uow, link, OWNER, -1)


async def test_answers_to_a_cancelled_or_started_event_are_refused(uow):
    link = await make(uow)
    await service.delete_event(uow, link, OWNER)
    with pytest.raises(EventCancelled):
        await answer(uow, link, 1, GOING)
    soon = await make(uow, when=datetime.now(UTC) + timedelta(minutes=5))
    with pytest.raises(EventStarted):
        await attendance.respond(
            uow, soon, user_id=1, name="x", answer=GOING, now=datetime.now(UTC) + timedelta(minutes=6)
        )


async def test_an_unknown_answer_is_refused_and_names_are_tidied(uow):
    link = await make(uow)
    with pytest.raises(InvalidField):
        await answer(uow, link, 1, "yes please")
    await attendance.respond(uow, link, user_id=1, name="  Ann\n  " + "x" * 100, answer=GOING)
    assert (await service.get_event(uow, link)).rsvps.going[0].name.startswith("Ann x")
    assert len((await service.get_event(uow, link)).rsvps.going[0].name) == NAME_MAX
