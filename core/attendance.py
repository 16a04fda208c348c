"""Answers: one per person per event, guests they bring, a capacity, and a waitlist that moves up in order.

A person going takes one seat, plus one per guest. Past the capacity, Going joins the waitlist. When
seats free up, the first people waiting take them in order, each with their guests; a party that does
not fit waits, and those behind it wait too (first come, first served). A lower limit never removes
anyone already going: they were promised a seat. Answers close at the organiser's deadline, or when
the event starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import access, cards, codes
from core.clock import now_or
from core.errors import (
    AnswerFirst,
    AnswersClosed,
    ConcurrentChange,
    EventCancelled,
    EventNotFound,
    EventStarted,
    GuestsNotAllowed,
    InvalidField,
    NoSeatForGuest,
)
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
    guests: int = 0


async def respond(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    *,
    user_id: int,
    name: str,
    answer: str,
    now: datetime | None = None,
) -> RsvpOutcome:
    """Record a person's answer. Tapping Going again keeps one's seat, or one's place in the queue."""
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
        if row.closes_at <= now:
            raise AnswersClosed()
        if row.applied:
            assert row.status is not None
            return RsvpOutcome(
                Headline(row.link_id, row.title, row.starts_at, row.timezone),
                row.status,
                row.position if row.status == WAITING else 0,
                tuple(Attendee(user, person, guests) for user, person, guests in row.promoted),
                row.guests,
            )
    raise ConcurrentChange()


def _ensure_open(event: Event, now: datetime) -> None:
    if event.kind != "event":
        raise EventNotFound()  # a poll takes votes, not answers
    access.ensure_not_cancelled(event)
    if event.starts_at <= now:
        raise EventStarted()
    if event.answers_close_at is not None and event.answers_close_at <= now:
        raise AnswersClosed()


async def _respond_in_session(
    uow: SqlAlchemyUnitOfWork, link_id: str, user_id: int, name: str, answer: str, now: datetime
) -> RsvpOutcome:
    """The same rules, one writer at a time (SQLite serialises transactions; the lock does elsewhere)."""
    async with uow:
        event = await access.find_event(uow, link_id, for_update=True)
        _ensure_open(event, now)
        rsvp = await uow.rsvps.get(event.id, user_id)
        previous = rsvp.status if rsvp else None
        guests = rsvp.guests if rsvp else 0
        status = answer
        if answer == GOING and previous in (GOING, WAITING):
            status = previous
        elif answer == GOING and event.capacity is not None:
            taken = await uow.rsvps.seats_taken(event.id, except_user=user_id)
            if taken + 1 + guests > event.capacity:
                status = WAITING
        if status not in (GOING, WAITING):
            guests = 0  # guests come with someone coming
        if rsvp is None:
            await uow.rsvps.add(
                Rsvp(
                    event_id=event.id,
                    user_id=user_id,
                    name=name,
                    status=status,
                    responded_at=now,
                    guests=guests,
                )
            )
        else:
            rsvp.name = name
            rsvp.guests = guests
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
    return RsvpOutcome(headline, status, position, promoted, guests)


async def bring_one_more(
    uow: SqlAlchemyUnitOfWork, link_id: str, *, user_id: int, now: datetime | None = None
) -> RsvpOutcome:
    """One more guest with this person, up to the event's limit, then back to none.

    A guest needs a free seat when the person is going; someone waiting may line up guests, who then
    wait with them.
    """
    now = now_or(now)
    async with uow:
        event = await access.find_event(uow, link_id, for_update=True)
        _ensure_open(event, now)
        if event.max_guests == 0:
            raise GuestsNotAllowed(limit=0)
        rsvp = await uow.rsvps.get(event.id, user_id)
        if rsvp is None or rsvp.status not in (GOING, WAITING):
            raise AnswerFirst()
        guests = (rsvp.guests + 1) % (event.max_guests + 1)
        if rsvp.status == GOING and guests > rsvp.guests and event.capacity is not None:
            taken = await uow.rsvps.seats_taken(event.id, except_user=user_id)
            if taken + 1 + guests > event.capacity:
                raise NoSeatForGuest(free=max(0, event.capacity - taken - 1 - rsvp.guests))
        fewer = guests < rsvp.guests
        rsvp.guests = guests
        await uow.rsvps.flush()
        promoted = await fill_free_seats(uow, event) if fewer and rsvp.status == GOING else ()
        await cards.changed(uow, event, now)
        waiting = [a.user_id for a in await uow.rsvps.answers(event.id) if a.status == WAITING]
        outcome = RsvpOutcome(
            Headline(event.link_id, event.title, event.starts_at, event.timezone),
            rsvp.status,
            waiting.index(user_id) + 1 if rsvp.status == WAITING else 0,
            promoted,
            guests,
        )
        await uow.commit()
        return outcome


async def fill_free_seats(uow: SqlAlchemyUnitOfWork, event: Event) -> tuple[Attendee, ...]:
    """Inside a unit of work: move the first people waiting, with their guests, into free seats, in order."""
    free = (1 << 30) if event.capacity is None else event.capacity - await uow.rsvps.seats_taken(event.id)
    promoted = []
    for rsvp in await uow.rsvps.first_waiting(event.id, 10_000):
        if 1 + rsvp.guests > free:
            break  # first come, first served: nobody overtakes a party that does not fit yet
        rsvp.status = GOING
        free -= 1 + rsvp.guests
        promoted.append(Attendee(rsvp.user_id, rsvp.name, rsvp.guests))
    await uow.rsvps.flush()
    return tuple(promoted)
