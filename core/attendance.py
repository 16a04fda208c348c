"""RSVPs: one answer per person per event, a capacity, and a waitlist that moves up in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import DomainError, InvalidField
from core.events import ANSWERS, GOING, WAITING, Attendee, EventView, clean_capacity, clean_name
from core.events import NAME_MAX as NAME_MAX  # the name rules now live in core.events
from core.service import Credentials, current_time, find_editable_event, find_event, to_view
from core.storage.models import Event, Rsvp
from core.storage.uow import SqlAlchemyUnitOfWork


@dataclass(frozen=True, slots=True)
class RsvpOutcome:
    event: EventView
    status: str
    promoted: tuple[Attendee, ...]


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
        raise InvalidField("answer", "it must be going, maybe or no.")
    now = current_time(now)
    name = clean_name(name)
    async with uow:
        # Locking the event serialises answers to it, so two people can't both take the last seat.
        event = await find_event(uow, link_id, for_update=True)
        if event.cancelled_at is not None:
            raise DomainError("This event was cancelled.")
        if event.starts_at <= now:
            raise DomainError("This event has already started.")
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
        promoted = await _fill_free_seats(uow, event) if previous == GOING and status != GOING else ()
        # Read before committing: after it, the session would need a new transaction (and round trips).
        view = to_view(event, await uow.rsvps.for_event(event.id))
        await uow.commit()
        return RsvpOutcome(view, status, promoted)


async def _fill_free_seats(uow: SqlAlchemyUnitOfWork, event: Event) -> tuple[Attendee, ...]:
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


async def set_capacity(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    credentials: Credentials,
    capacity: int | None,
    *,
    now: datetime | None = None,
) -> RsvpOutcome:
    """Set or remove (None or 0) the number of seats; a higher limit promotes people from the waitlist.

    A lower limit never removes anyone already going: they were promised a seat.
    """
    now = current_time(now)
    capacity = clean_capacity(capacity)
    async with uow:
        event = await find_editable_event(uow, link_id, credentials, now)
        event.capacity = capacity
        event.updated_at = now
        await uow.events.flush()
        promoted = await _fill_free_seats(uow, event)
        view = to_view(event, await uow.rsvps.for_event(event.id))
        await uow.commit()
        return RsvpOutcome(view, "", promoted)
