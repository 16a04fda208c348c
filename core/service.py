"""Use cases. Plain async functions: plain values in, plain values out, one transaction each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core import codes, dates
from core.errors import (
    DomainError,
    EventNotFound,
    InvalidField,
    NotAllowed,
    TooManyAttempts,
    WrongSecretCode,
)
from core.events import (
    GOING,
    MAYBE,
    NO,
    WAITING,
    Attendee,
    EventView,
    RsvpSummary,
    clean_description,
    clean_location,
    clean_title,
    parse_reminder_minutes,
)
from core.storage.models import (
    CodeAttempt,
    Conversation,
    Event,
    Reminder,
    Rsvp,
)
from core.storage.repository import Answer
from core.storage.uow import SqlAlchemyUnitOfWork

LINK_ATTEMPTS = 5
# How long the creating process alone may post an event's first card (see core.sharing). Long enough
# to post and record it; short enough that a redelivery after a crash still answers within seconds.
PUBLISH_LEASE = timedelta(seconds=10)
CONVERSATION_TTL = timedelta(hours=1)
MY_EVENTS_LIMIT = 20
ANY_USER = 0
UNLOCKED_KEY = "unlocked"

# Guessing throttle. Per event and user: 5 wrong codes are free, then each one locks that user out
# for twice as long as the last (1 min, 2 min, ... capped at 1 h). Per event, whoever types: 20 free,
# then the same doubling. So an attacker gets about 30 guesses in the first day and 24 a day after.
USER_FREE_FAILURES = 5
EVENT_FREE_FAILURES = 20
FIRST_LOCKOUT = timedelta(minutes=1)
MAX_LOCKOUT = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Credentials:
    """Who is asking: a Telegram user id (None for anonymous), optionally a typed secret code, and
    the private chat they are in, where an earlier ``unlock_event`` may have let them in."""

    user_id: int | None = None
    code: str | None = None
    chat_id: int | None = None


@dataclass(frozen=True, slots=True)
class CreatedEvent:
    event: EventView
    secret_code: str
    repeated: bool = False


def current_time(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _summary(rsvps: Sequence[Rsvp | Answer]) -> RsvpSummary:
    people: dict[str, list[Attendee]] = {GOING: [], MAYBE: [], WAITING: []}
    no_count = 0
    for rsvp in rsvps:
        if rsvp.status == NO:
            no_count += 1
        else:
            people[rsvp.status].append(Attendee(rsvp.user_id, rsvp.name))
    return RsvpSummary(tuple(people[GOING]), tuple(people[MAYBE]), tuple(people[WAITING]), no_count)


def to_view(event: Event | Row[Any], rsvps: Sequence[Rsvp | Answer] = ()) -> EventView:
    """The plain view of an event, from its ORM object or a row of the events table."""
    return EventView(
        link_id=event.link_id,
        title=event.title,
        description=event.description,
        location=event.location,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        creator_user_id=event.creator_user_id,
        chat_id=event.chat_id,
        sequence=event.sequence,
        created_at=event.created_at,
        updated_at=event.updated_at,
        cancelled_at=event.cancelled_at,
        capacity=event.capacity,
        reminder_minutes=parse_reminder_minutes(event.reminder_minutes),
        rsvps=_summary(rsvps),
    )


def _starts_at(when: str | datetime, timezone: str, now: datetime) -> datetime:
    if isinstance(when, str):
        return dates.parse_when(when, timezone, now=now)
    if when.tzinfo is None:
        raise InvalidField("when", "the time has no timezone.")
    if when <= now:
        raise InvalidField("when", "that time is already in the past.")
    return when.astimezone(UTC)


def _check_timezone(timezone: str) -> str:
    if not dates.is_valid_timezone(timezone):
        raise InvalidField("timezone", f"“{timezone}” is not a timezone I know, e.g. Europe/Paris.")
    return timezone


async def create_event(
    uow: SqlAlchemyUnitOfWork,
    *,
    title: str,
    when: str | datetime,
    timezone: str,
    description: str | None = None,
    location: str | None = None,
    creator_user_id: int | None = None,
    chat_id: int | None = None,
    rounds: int = 12,
    now: datetime | None = None,
    origin: str | None = None,
) -> CreatedEvent:
    """Create an event; its secret code is returned here and never again.

    ``origin`` identifies the request (e.g. "chat:message"). Asked again with the same origin, this
    returns the event made the first time, marked ``repeated`` and without a code.
    """
    now = current_time(now)
    if origin is not None and (earlier := await _created_from(uow, origin)) is not None:
        return earlier
    fields = {
        "title": clean_title(title),
        "description": clean_description(description),
        "location": clean_location(location),
        "timezone": _check_timezone(timezone),
    }
    starts_at = _starts_at(when, timezone, now)
    secret_code = codes.new_secret_code()
    code_hash = await codes.hash_code(codes.normalise_code(secret_code) or "", rounds)
    async with uow:
        for _attempt in range(LINK_ATTEMPTS):
            event = Event(
                link_id=codes.new_link_id(),
                origin=origin,
                publishing_until=now + PUBLISH_LEASE,
                starts_at=starts_at,
                creator_user_id=creator_user_id,
                chat_id=chat_id,
                code_hash=code_hash,
                created_at=now,
                updated_at=now,
                **fields,
            )
            try:
                async with uow.session.begin_nested():
                    await uow.events.add(event)
            except IntegrityError as exc:
                if origin is not None and _violates(exc, "origin"):
                    break  # the same request, being handled at this moment by another process
                if not _violates(exc, "link_id"):
                    raise
                continue
            else:
                await schedule_reminders(uow, event, now, new=True)
                await uow.commit()
                return CreatedEvent(to_view(event), secret_code)
            break
        else:
            raise RuntimeError(f"no free link id after {LINK_ATTEMPTS} attempts")
    earlier = await _created_from(uow, origin or "")
    if earlier is None:
        raise RuntimeError("an event with this origin vanished")
    return earlier


async def _created_from(uow: SqlAlchemyUnitOfWork, origin: str) -> CreatedEvent | None:
    async with uow.single_statement():
        event = await uow.events.get_by_origin(origin)
        if event is None:
            return None
        return CreatedEvent(to_view(event, await uow.rsvps.for_event(event.id)), "", repeated=True)


def _violates(exc: IntegrityError, column: str) -> bool:
    text = str(exc.orig)
    return f"uq_events_{column}" in text or f"events.{column}" in text


async def schedule_reminders(
    uow: SqlAlchemyUnitOfWork, event: Event, now: datetime, *, new: bool = False
) -> None:
    """(Re)plan an event's reminders from its start and chosen offsets; past ones are skipped."""
    reminders = []
    for minutes in parse_reminder_minutes(event.reminder_minutes):
        due_at = event.starts_at - timedelta(minutes=minutes)
        if due_at > now:
            reminders.append(
                Reminder(event_id=event.id, minutes_before=minutes, due_at=due_at, state="pending")
            )
    await uow.reminders.replace_pending(event.id, reminders, new=new)


async def get_event(uow: SqlAlchemyUnitOfWork, link_id: str) -> EventView:
    """Return an event by its public link, cancelled or not, with who is coming."""
    event, _ = await view_event(uow, link_id)
    return event


async def view_event(
    uow: SqlAlchemyUnitOfWork, link_id: str, *, viewer_chat_id: int | None = None
) -> tuple[EventView, str | None]:
    """Return the event with its answers, and the timezone the viewer's chat chose (if any).

    One statement: this is the path every tap on a link takes.
    """
    if not codes.is_link_id(link_id):
        raise EventNotFound()
    found = await uow.read_view(link_id, viewer_chat_id)
    if found is None:
        raise EventNotFound()
    return to_view(found.event, found.answers), found.viewer_zone


async def find_event(uow: SqlAlchemyUnitOfWork, link_id: str, *, for_update: bool = False) -> Event:
    if not codes.is_link_id(link_id):
        raise EventNotFound()
    event = await uow.events.get_by_link(link_id, for_update=for_update)
    if event is None:
        raise EventNotFound()
    return event


async def find_editable_event(
    uow: SqlAlchemyUnitOfWork, link_id: str, credentials: Credentials, now: datetime
) -> Event:
    event = await find_event(uow, link_id, for_update=True)
    if event.cancelled_at is not None:
        raise DomainError("This event was cancelled, so it can't be changed any more.")
    await _authorise(uow, event, credentials, now)
    return event


async def _authorise(
    uow: SqlAlchemyUnitOfWork, event: Event, credentials: Credentials, now: datetime
) -> None:
    if credentials.user_id is not None and credentials.user_id == event.creator_user_id:
        return
    if not credentials.code:
        if await _is_unlocked(uow, event, credentials, now):
            return
        raise NotAllowed()
    user_key = credentials.user_id or ANY_USER
    keys = [user_key] if user_key == ANY_USER else [user_key, ANY_USER]
    rows = [
        await uow.attempts.get(event.id, key) or CodeAttempt(event_id=event.id, user_id=key, failures=0)
        for key in keys
    ]
    for row in rows:
        if row.locked_until is not None and row.locked_until > now:
            raise TooManyAttempts(max(1, int((row.locked_until - now).total_seconds() + 0.999)))
    if await codes.check_code(credentials.code, event.code_hash):
        for key in keys:
            await uow.attempts.clear(event.id, key)
        return
    for row in rows:
        row.failures += 1
        free = USER_FREE_FAILURES if row.user_id != ANY_USER else EVENT_FREE_FAILURES
        if row.failures > free:
            lockout = min(FIRST_LOCKOUT * 2 ** (row.failures - free - 1), MAX_LOCKOUT)
            row.locked_until = now + lockout
        row.updated_at = now
        if row not in uow.session:
            await uow.attempts.add(row)
    # The failure count must persist even though the request fails, or throttling would do nothing.
    await uow.commit()
    raise WrongSecretCode()


async def _is_unlocked(
    uow: SqlAlchemyUnitOfWork, event: Event, credentials: Credentials, now: datetime
) -> bool:
    if credentials.chat_id is None or credentials.user_id is None:
        return False
    row = await uow.conversations.get(credentials.chat_id, credentials.user_id)
    return row is not None and row.expires_at > now and row.data.get(UNLOCKED_KEY) == event.link_id


async def unlock_event(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    code: str,
    *,
    user_id: int,
    chat_id: int,
    now: datetime | None = None,
) -> EventView:
    """Check a code once and let this user, in this private chat, manage the event for a while.

    The code itself is not kept: the unlock is a mark on the user's conversation, which expires.
    """
    now = current_time(now)
    async with uow:
        event = await find_editable_event(uow, link_id, Credentials(user_id=user_id, code=code), now)
        row = await uow.conversations.get(chat_id, user_id)
        if row is None:
            row = Conversation(chat_id=chat_id, user_id=user_id, step="", data={}, expires_at=now)
            await uow.conversations.add(row)
        row.data = {UNLOCKED_KEY: event.link_id}
        row.step = ""
        row.expires_at = now + CONVERSATION_TTL
        await uow.commit()
        return to_view(event)


async def can_manage(uow: SqlAlchemyUnitOfWork, link_id: str, credentials: Credentials) -> EventView:
    """Return the event if these credentials (account or unlock, no code) may change it, else raise."""
    if credentials.code is not None:
        raise ValueError("can_manage does not check codes; use unlock_event")
    async with uow:
        event = await find_event(uow, link_id)
        if event.cancelled_at is not None:
            raise DomainError("This event was cancelled, so it can't be changed any more.")
        await _authorise(uow, event, credentials, current_time(None))
        return to_view(event)


async def update_event(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    credentials: Credentials,
    *,
    title: str | None = None,
    when: str | datetime | None = None,
    description: str | None = None,
    location: str | None = None,
    now: datetime | None = None,
) -> EventView:
    """Change any of title, time, description and location; None leaves a field as it is, "" clears it."""
    now = current_time(now)
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = clean_title(title)
    if description is not None:
        changes["description"] = clean_description(description)
    if location is not None:
        changes["location"] = clean_location(location)
    async with uow:
        event = await find_editable_event(uow, link_id, credentials, now)
        if when is not None:
            changes["starts_at"] = _starts_at(when, event.timezone, now)
        if not changes:
            raise DomainError("Nothing to change: say which field and its new value.")
        for name, value in changes.items():
            setattr(event, name, value)
        event.updated_at = now
        try:
            await uow.events.flush()
        except StaleDataError:
            raise DomainError(
                "Someone else changed this event at the same moment. Please try again."
            ) from None
        if "starts_at" in changes:
            await schedule_reminders(uow, event, now)
        view = to_view(event, await uow.rsvps.for_event(event.id))
        await uow.commit()
        return view


async def delete_event(
    uow: SqlAlchemyUnitOfWork, link_id: str, credentials: Credentials, *, now: datetime | None = None
) -> EventView:
    """Cancel an event. Its link keeps working and says it was cancelled."""
    now = current_time(now)
    async with uow:
        event = await find_editable_event(uow, link_id, credentials, now)
        event.cancelled_at = now
        event.updated_at = now
        await uow.reminders.drop_pending(event.id)
        view = to_view(event, await uow.rsvps.for_event(event.id))
        await uow.commit()
        return view


async def rotate_code(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    credentials: Credentials,
    *,
    rounds: int = 12,
    now: datetime | None = None,
) -> str:
    """Replace an event's secret code; the old one stops working at once."""
    now = current_time(now)
    secret_code = codes.new_secret_code()
    code_hash = await codes.hash_code(codes.normalise_code(secret_code) or "", rounds)
    async with uow:
        event = await find_editable_event(uow, link_id, credentials, now)
        event.code_hash = code_hash
        event.updated_at = now
        await uow.commit()
    return secret_code


async def list_user_events(
    uow: SqlAlchemyUnitOfWork, user_id: int, *, now: datetime | None = None, limit: int = MY_EVENTS_LIMIT
) -> list[EventView]:
    """Return the upcoming, not cancelled events a user created, soonest first."""
    async with uow:
        events = await uow.events.list_by_creator(user_id, starting_after=current_time(now), limit=limit)
        return [to_view(event) for event in events]
