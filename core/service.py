"""Use cases. Plain async functions: plain values in, plain values out, one transaction each."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core import codes, dates
from core.errors import (
    ClaimNotFound,
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
    ChatSettings,
    CodeAttempt,
    CodeClaim,
    Conversation,
    Event,
    Reminder,
    Rsvp,
)
from core.storage.uow import SqlAlchemyUnitOfWork

LINK_ATTEMPTS = 5
# Long enough for one process to post a card and record it; short enough that a redelivery after a
# crash (which waits for the lease to end) still answers within seconds.
PUBLISH_LEASE = timedelta(seconds=10)
CLAIM_TTL = timedelta(hours=24)
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


@dataclass(frozen=True, slots=True)
class CardRef:
    chat_id: int | None
    message_id: int | None
    inline_message_id: str | None


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _summary(rsvps: Sequence[Rsvp]) -> RsvpSummary:
    people: dict[str, list[Attendee]] = {GOING: [], MAYBE: [], WAITING: []}
    no_count = 0
    for rsvp in rsvps:
        if rsvp.status == NO:
            no_count += 1
        else:
            people[rsvp.status].append(Attendee(rsvp.user_id, rsvp.name))
    return RsvpSummary(tuple(people[GOING]), tuple(people[MAYBE]), tuple(people[WAITING]), no_count)


def _view(event: Event, rsvps: Sequence[Rsvp] = ()) -> EventView:
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
    now = _now(now)
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
                return CreatedEvent(_view(event), secret_code)
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
        return CreatedEvent(_view(event, await uow.rsvps.for_event(event.id)), "", repeated=True)


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
    async with uow.single_statement():
        found = await uow.events.get_with_answers(link_id, viewer_chat_id)
        if found is None:
            raise EventNotFound()
        event, rsvps, viewer_zone = found
        return _view(event, rsvps), viewer_zone


async def _find(uow: SqlAlchemyUnitOfWork, link_id: str, *, for_update: bool = False) -> Event:
    if not codes.is_link_id(link_id):
        raise EventNotFound()
    event = await uow.events.get_by_link(link_id, for_update=for_update)
    if event is None:
        raise EventNotFound()
    return event


async def _find_editable(
    uow: SqlAlchemyUnitOfWork, link_id: str, credentials: Credentials, now: datetime
) -> Event:
    event = await _find(uow, link_id, for_update=True)
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
    now = _now(now)
    async with uow:
        event = await _find_editable(uow, link_id, Credentials(user_id=user_id, code=code), now)
        row = await uow.conversations.get(chat_id, user_id)
        if row is None:
            row = Conversation(chat_id=chat_id, user_id=user_id, step="", data={}, expires_at=now)
            await uow.conversations.add(row)
        row.data = {UNLOCKED_KEY: event.link_id}
        row.step = ""
        row.expires_at = now + CONVERSATION_TTL
        await uow.commit()
        return _view(event)


async def can_manage(uow: SqlAlchemyUnitOfWork, link_id: str, credentials: Credentials) -> EventView:
    """Return the event if these credentials (account or unlock, no code) may change it, else raise."""
    if credentials.code is not None:
        raise ValueError("can_manage does not check codes; use unlock_event")
    async with uow:
        event = await _find(uow, link_id)
        if event.cancelled_at is not None:
            raise DomainError("This event was cancelled, so it can't be changed any more.")
        await _authorise(uow, event, credentials, _now(None))
        return _view(event)


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
    now = _now(now)
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = clean_title(title)
    if description is not None:
        changes["description"] = clean_description(description)
    if location is not None:
        changes["location"] = clean_location(location)
    async with uow:
        event = await _find_editable(uow, link_id, credentials, now)
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
        view = _view(event, await uow.rsvps.for_event(event.id))
        await uow.commit()
        return view


async def delete_event(
    uow: SqlAlchemyUnitOfWork, link_id: str, credentials: Credentials, *, now: datetime | None = None
) -> EventView:
    """Cancel an event. Its link keeps working and says it was cancelled."""
    now = _now(now)
    async with uow:
        event = await _find_editable(uow, link_id, credentials, now)
        event.cancelled_at = now
        event.updated_at = now
        await uow.reminders.drop_pending(event.id)
        view = _view(event, await uow.rsvps.for_event(event.id))
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
    now = _now(now)
    secret_code = codes.new_secret_code()
    code_hash = await codes.hash_code(codes.normalise_code(secret_code) or "", rounds)
    async with uow:
        event = await _find_editable(uow, link_id, credentials, now)
        event.code_hash = code_hash
        event.updated_at = now
        await uow.commit()
    return secret_code


async def list_user_events(
    uow: SqlAlchemyUnitOfWork, user_id: int, *, now: datetime | None = None, limit: int = MY_EVENTS_LIMIT
) -> list[EventView]:
    """Return the upcoming, not cancelled events a user created, soonest first."""
    async with uow:
        events = await uow.events.list_by_creator(user_id, starting_after=_now(now), limit=limit)
        return [_view(event) for event in events]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_claim(
    uow: SqlAlchemyUnitOfWork, link_id: str, user_id: int, *, now: datetime | None = None
) -> str:
    """Make a single-use token with which ``user_id`` (and only they) can collect a fresh code."""
    now = _now(now)
    token = secrets.token_urlsafe(24)
    async with uow:
        event = await _find(uow, link_id)
        if event.creator_user_id != user_id:
            raise NotAllowed()
        await uow.claims.add(
            CodeClaim(
                token_hash=_token_hash(token), event_id=event.id, user_id=user_id, expires_at=now + CLAIM_TTL
            )
        )
        await uow.commit()
    return token


async def redeem_claim(
    uow: SqlAlchemyUnitOfWork, token: str, user_id: int, *, rounds: int = 12, now: datetime | None = None
) -> CreatedEvent:
    """Use a claim token: the event gets a new code, handed to the claim's own user, once."""
    now = _now(now)
    secret_code = codes.new_secret_code()
    code_hash = await codes.hash_code(codes.normalise_code(secret_code) or "", rounds)
    async with uow:
        claim = await uow.claims.get_by_token_hash(_token_hash(token))
        if claim is None or claim.used_at is not None or claim.expires_at <= now:
            raise ClaimNotFound()
        if claim.user_id != user_id:
            raise NotAllowed("This link is for the event's creator only.")
        event = await uow.events.get(claim.event_id)
        if event is None or event.cancelled_at is not None:
            raise EventNotFound()
        claim.used_at = now
        event.code_hash = code_hash
        event.updated_at = now
        await uow.commit()
        return CreatedEvent(_view(event), secret_code)


async def record_card(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
    inline_message_id: str | None = None,
) -> None:
    """Remember a message that shows an event's card, so later changes can update it."""
    async with uow.single_statement():
        await uow.cards.record(
            link_id,
            chat_id=chat_id,
            message_id=message_id,
            inline_message_id=inline_message_id,
            now=_now(None),
        )
        await uow.commit()


@dataclass(frozen=True, slots=True)
class Publication:
    """What a repeated request to create an event should do about its card in one chat."""

    post: bool  # this caller now holds the lease: post the card (and offer the code)
    wait: float = 0.0  # seconds until another holder's lease ends; 0 with post=False: already posted


async def claim_publication(
    uow: SqlAlchemyUnitOfWork, link_id: str, chat_id: int, *, now: datetime | None = None
) -> Publication:
    """For a repeated create: post the card only if nobody has, and nobody is about to."""
    now = _now(now)
    async with uow:
        event = await _find(uow, link_id, for_update=True)
        if any(card.chat_id == chat_id for card in await uow.cards.for_event(event.id)):
            return Publication(post=False)
        if event.publishing_until is not None and event.publishing_until > now:
            return Publication(post=False, wait=(event.publishing_until - now).total_seconds())
        await uow.events.set_publishing_until(event.id, now + PUBLISH_LEASE)
        await uow.commit()
        return Publication(post=True)


async def posted_cards(uow: SqlAlchemyUnitOfWork, link_id: str) -> list[CardRef]:
    """Return every message known to show this event's card."""
    async with uow.single_statement():
        return [
            CardRef(c.chat_id, c.message_id, c.inline_message_id) for c in await uow.cards.for_link(link_id)
        ]


async def forget_card(uow: SqlAlchemyUnitOfWork, card: CardRef) -> None:
    """Stop tracking a card message that no longer exists."""
    async with uow:
        found = await uow.cards.find(card.chat_id, card.message_id, card.inline_message_id)
        if found is not None:
            await uow.cards.remove(found)
            await uow.commit()


async def chat_timezone(uow: SqlAlchemyUnitOfWork, chat_id: int, default: str) -> str:
    """Return the timezone a chat (or a user, for a private chat) has chosen, else ``default``."""
    async with uow.single_statement():
        settings = await uow.settings.get(chat_id)
        return settings.timezone if settings and settings.timezone else default


async def set_chat_timezone(uow: SqlAlchemyUnitOfWork, chat_id: int, text: str) -> str:
    """Set a chat's timezone from an IANA name or a city; return the IANA name chosen."""
    timezone = dates.resolve_timezone(text)
    async with uow:
        settings = await uow.settings.get(chat_id)
        if settings is None:
            await uow.settings.add(ChatSettings(chat_id=chat_id, timezone=timezone))
        else:
            settings.timezone = timezone
        await uow.commit()
    return timezone


@dataclass(frozen=True, slots=True)
class ConversationState:
    step: str
    data: dict[str, object]


async def get_conversation(
    uow: SqlAlchemyUnitOfWork, chat_id: int, user_id: int, *, now: datetime | None = None
) -> ConversationState | None:
    """Return where a user is in a guided flow in this chat, if anywhere (expired flows are dropped)."""
    async with uow:
        row = await uow.conversations.get(chat_id, user_id)
        if row is None or row.expires_at <= _now(now) or not row.step:
            return None
        return ConversationState(row.step, {k: v for k, v in row.data.items() if k != UNLOCKED_KEY})


async def save_conversation(
    uow: SqlAlchemyUnitOfWork,
    chat_id: int,
    user_id: int,
    step: str,
    data: dict[str, object],
    *,
    now: datetime | None = None,
) -> None:
    """Store a user's place in a guided flow."""
    expires_at = _now(now) + CONVERSATION_TTL
    async with uow:
        row = await uow.conversations.get(chat_id, user_id)
        if row is not None and UNLOCKED_KEY in row.data and UNLOCKED_KEY not in data:
            data = {**data, UNLOCKED_KEY: row.data[UNLOCKED_KEY]}
        if row is None:
            await uow.conversations.add(
                Conversation(chat_id=chat_id, user_id=user_id, step=step, data=data, expires_at=expires_at)
            )
        else:
            row.step, row.data, row.expires_at = step, data, expires_at
        await uow.commit()


async def take_conversation(
    uow: SqlAlchemyUnitOfWork, chat_id: int, user_id: int, step: str, *, now: datetime | None = None
) -> ConversationState | None:
    """End the flow if it is at ``step`` and return its state; of two racing callers only one gets it."""
    async with uow:
        row = await uow.conversations.get(chat_id, user_id, for_update=True)
        if row is None or row.step != step or row.expires_at <= _now(now):
            return None
        state = ConversationState(row.step, {k: v for k, v in row.data.items() if k != UNLOCKED_KEY})
        row.step = ""
        row.data = {k: v for k, v in row.data.items() if k == UNLOCKED_KEY}
        await uow.commit()
        return state


async def end_conversation(uow: SqlAlchemyUnitOfWork, chat_id: int, user_id: int) -> None:
    """Leave the guided flow; an unlocked event stays unlocked until it expires."""
    async with uow:
        row = await uow.conversations.get(chat_id, user_id)
        if row is None:
            return
        if UNLOCKED_KEY in row.data:
            row.step = ""
            row.data = {UNLOCKED_KEY: row.data[UNLOCKED_KEY]}
        else:
            await uow.conversations.remove(chat_id, user_id)
        await uow.commit()
