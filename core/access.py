"""Who may manage an event, in one place.

Two kinds of people may change or cancel an event: its creator's account, anywhere; and whoever typed
its current secret code in their private chat with the bot, there, for a fixed hour (an *unlock*).
Using an unlock does not extend it, and a new code ends every unlock and every claim link made before
it. Wrong codes are throttled: each attempt is counted before the code is checked, so guesses sent in
parallel are counted too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core import codes
from core.clock import now_or
from core.errors import (
    EventCancelled,
    EventNotFound,
    NotAllowed,
    TooManyAttempts,
    WrongSecretCode,
)
from core.events import EventView
from core.storage.models import Event
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import event_view

UNLOCK_LIFETIME = timedelta(hours=1)

# Guessing throttle. Per event and user: 5 wrong codes are free, then each one locks that user out
# for twice as long as the last (1 min, 2 min, ... capped at 1 h). Per event, whoever types: 20 free,
# then the same doubling. So an attacker gets about 30 guesses in the first day and 24 a day after.
ANY_USER = 0
USER_FREE_FAILURES = 5
EVENT_FREE_FAILURES = 20
FIRST_LOCKOUT = timedelta(minutes=1)
MAX_LOCKOUT = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Requester:
    """Who is asking.

    ``user_id`` is None when no person can be identified: a message posted as a channel or as the group
    itself. ``private`` is True when the request comes from the person's own private chat with the bot,
    the only place where a secret code may be typed and an unlock counts.
    """

    user_id: int | None
    private: bool = False


async def find_event(uow: SqlAlchemyUnitOfWork, link_id: str, *, for_update: bool = False) -> Event:
    """The event behind a link, inside a unit of work; ``EventNotFound`` if there is none."""
    if not codes.is_link_id(link_id):
        raise EventNotFound()
    event = await uow.events.get_by_link(link_id, for_update=for_update)
    if event is None:
        raise EventNotFound()
    return event


def ensure_not_cancelled(event: Event) -> None:
    if event.cancelled_at is not None:
        raise EventCancelled()


async def may_manage(uow: SqlAlchemyUnitOfWork, event: Event, requester: Requester, now: datetime) -> bool:
    """The creator's account, or an unlock for the event's current code in the requester's private chat."""
    if requester.user_id is None:
        return False
    if requester.user_id == event.creator_user_id:
        return True
    return requester.private and await uow.unlocks.holds(
        event.id, requester.user_id, code_version=event.code_version, now=now
    )


async def manageable_event(
    uow: SqlAlchemyUnitOfWork, link_id: str, requester: Requester, now: datetime
) -> Event:
    """Inside a unit of work: the event, locked for writing, if it is not cancelled and ``requester``
    may manage it; else ``EventNotFound``, ``EventCancelled`` or ``NotAllowed``."""
    event = await find_event(uow, link_id, for_update=True)
    ensure_not_cancelled(event)
    if not await may_manage(uow, event, requester, now):
        raise NotAllowed()
    return event


@dataclass(frozen=True, slots=True)
class CheckedCode:
    """A code that matched: the event, and the version of its code that matched."""

    event_id: int
    code_version: int


async def check_code(
    uow: SqlAlchemyUnitOfWork, link_id: str, requester: Requester, code: str, now: datetime
) -> CheckedCode:
    """Check a secret code typed in a private chat: ``WrongSecretCode``, ``TooManyAttempts``, or a match.

    Runs its own short transactions; bcrypt runs between them, holding no lock.
    """
    if requester.user_id is None or not requester.private:
        raise NotAllowed()
    async with uow:
        event = await find_event(uow, link_id)
        ensure_not_cancelled(event)
        await _count_attempt(uow, event.id, requester.user_id, now)
        checked = CheckedCode(event.id, event.code_version)
        code_hash = event.code_hash
        await uow.commit()
    if not await codes.check_code(code, code_hash):
        raise WrongSecretCode()
    async with uow:
        await uow.attempts.clear(checked.event_id, requester.user_id)
        await uow.attempts.clear(checked.event_id, ANY_USER)
        await uow.commit()
    return checked


async def _count_attempt(uow: SqlAlchemyUnitOfWork, event_id: int, user_id: int, now: datetime) -> None:
    counters = [(user_id, USER_FREE_FAILURES), (ANY_USER, EVENT_FREE_FAILURES)]
    for key, _ in counters:
        locked_until = await uow.attempts.locked_until(event_id, key)
        if locked_until is not None and locked_until > now:
            raise TooManyAttempts(max(1, int((locked_until - now).total_seconds() + 0.999)))
    for key, free in counters:
        failures = await uow.attempts.count(event_id, key, now=now)
        if failures > free:
            lockout = min(FIRST_LOCKOUT * 2 ** (failures - free - 1), MAX_LOCKOUT)
            await uow.attempts.lock(event_id, key, until=now + lockout)


async def unlock(
    uow: SqlAlchemyUnitOfWork, link_id: str, requester: Requester, code: str, *, now: datetime | None = None
) -> EventView:
    """Check a code and let this person manage the event in their private chat for ``UNLOCK_LIFETIME``.

    The code itself is not kept: the unlock records which version of the code it was made with.
    """
    now = now_or(now)
    checked = await check_code(uow, link_id, requester, code, now)
    assert requester.user_id is not None  # check_code refuses anyone else
    async with uow:
        event = await find_event(uow, link_id)
        if event.code_version != checked.code_version:
            raise WrongSecretCode()  # replaced between the check and now
        await uow.unlocks.grant(
            event.id, requester.user_id, code_version=event.code_version, expires_at=now + UNLOCK_LIFETIME
        )
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
        return view
