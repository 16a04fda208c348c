"""Answers: one per person per event, a capacity, and a waitlist that moves up in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import access, cards
from core.clock import now_or
from core.errors import EventStarted, InvalidField
from core.events import ANSWERS, GOING, WAITING, Attendee, EventView, clean_name
from core.storage.models import Event, Rsvp
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import event_view


@dataclass(frozen=True, slots=True)
class RsvpOutcome:
    event: EventView
    status: str
    position: int  # on the waitlist, from 1; 0 when not waiting
    promoted: tuple[Attendee, ...]  # who got a seat because this answer freed one


async def respond(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    *,
    user_id: int,
    name: str,
    answer: str,
    now: datetime | None = None,
) -> RsvpOutcome:
    """Record a person's answer. Past the capacity, Going joins the waitlist; a freed seat goes to the first waiting."""
    if answer not in ANSWERS:
        raise InvalidField("answer", "unknown")
    now = now_or(now)
    name = clean_name(name)
    async with uow:
        # Locking the event serialises answers to it, so two people can't both take the last seat.
        event = await access.find_event(uow, link_id, for_update=True)
        access.ensure_not_cancelled(event)
        if event.starts_at <= now:
            raise EventStarted()
        rsvp = await uow.rsvps.get(event.id, user_id)
        previous = rsvp.status if rsvp else None
        status = answer
        if answer == GOING and previous not in (GOING, WAITING) and event.capacity is not None:
            if await uow.rsvps.count(event.id, GOING) >= event.capacity:
                status = WAITING
        elif answer == GOING and previous == WAITING:
            status = WAITING  # tapping Going again keeps one's place in the queue
        if rsvp is None:
            await uow.rsvps.add(
                Rsvp(event_id=event.id, user_id=user_id, name=name, status=status, responded_at=now)
            )
        else:
            rsvp.name = name
            if rsvp.status != status:
                rsvp.status = status
                rsvp.responded_at = now
        await uow.rsvps.flush()
        promoted = await fill_free_seats(uow, event) if previous == GOING and status != GOING else ()
        await cards.changed(uow, event, now)
        # Read before committing: after it, the session would need a new transaction (and round trips).
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
    waiting = [person.user_id for person in view.rsvps.waiting]
    position = waiting.index(user_id) + 1 if status == WAITING and user_id in waiting else 0
    return RsvpOutcome(view, status, position, promoted)


async def fill_free_seats(uow: SqlAlchemyUnitOfWork, event: Event) -> tuple[Attendee, ...]:
    """Inside a unit of work: move the first people waiting into any free seats, in order.

    A lower limit never removes anyone already going: they were promised a seat.
    """
    if event.capacity is None:
        free = 1 << 30
    else:
        free = event.capacity - await uow.rsvps.count(event.id, GOING)
    if free <= 0:
        return ()
    promoted = []
    for rsvp in await uow.rsvps.first_waiting(event.id, min(free, 10_000)):
        rsvp.status = GOING
        promoted.append(Attendee(rsvp.user_id, rsvp.name))
    await uow.rsvps.flush()
    return tuple(promoted)
