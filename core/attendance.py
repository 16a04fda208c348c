"""Answers: one per person per event, a capacity, and a waitlist that moves up in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import access, cards, codes
from core.clock import now_or
from core.errors import ConcurrentChange, EventCancelled, EventNotFound, EventStarted, InvalidField
from core.events import ANSWERS, GOING, WAITING, Attendee, Headline, clean_name
from core.storage.models import Event, Rsvp
from core.storage.uow import SqlAlchemyUnitOfWork

# An answer that keeps losing the race to other answers (core/storage/answers.py) gives up after these.
ANSWER_ATTEMPTS = 100


@dataclass(frozen=True, slots=True)
class RsvpOutcome:
    """What the person who answered is told, and whom a freed seat went to."""

    event: Headline
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
    """Record a person's answer. Past the capacity, Going joins the waitlist; a freed seat goes to the first waiting.

    Tapping Going again keeps one's place in the queue; a lower limit never removes anyone going.
    """
    if answer not in ANSWERS:
        raise InvalidField("answer", "unknown")
    if not codes.is_link_id(link_id):
        raise EventNotFound()
    now = now_or(now)
    name = clean_name(name)
    if not uow.answers_in_one_statement:
        return await _respond_in_session(uow, link_id, user_id, name, answer, now)
    for _attempt in range(ANSWER_ATTEMPTS):
        row = await uow.answer(link_id, user_id, name, answer, now)
        if row is None:
            raise EventNotFound()
        if row.cancelled:
            raise EventCancelled()
        if row.starts_at <= now:
            raise EventStarted()
        if row.applied:
            assert row.status is not None
            return RsvpOutcome(
                Headline(row.link_id, row.title, row.starts_at, row.timezone),
                row.status,
                row.position if row.status == WAITING else 0,
                tuple(Attendee(user, person) for user, person in row.promoted),
            )
    raise ConcurrentChange()


async def _respond_in_session(
    uow: SqlAlchemyUnitOfWork, link_id: str, user_id: int, name: str, answer: str, now: datetime
) -> RsvpOutcome:
    """The same rules, one writer at a time (SQLite serialises transactions; the lock does elsewhere)."""
    async with uow:
        event = await access.find_event(uow, link_id, for_update=True)
        access.ensure_not_cancelled(event)
        if event.starts_at <= now:
            raise EventStarted()
        rsvp = await uow.rsvps.get(event.id, user_id)
        previous = rsvp.status if rsvp else None
        status = answer
        if answer == GOING and previous in (GOING, WAITING):
            status = previous  # tapping Going again keeps one's seat, or one's place in the queue
        elif answer == GOING and event.capacity is not None:
            if await uow.rsvps.count(event.id, GOING) >= event.capacity:
                status = WAITING
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
        waiting = [a.user_id for a in await uow.rsvps.answers(event.id) if a.status == WAITING]
        headline = Headline(event.link_id, event.title, event.starts_at, event.timezone)
        await uow.commit()
    position = waiting.index(user_id) + 1 if status == WAITING else 0
    return RsvpOutcome(headline, status, position, promoted)


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
