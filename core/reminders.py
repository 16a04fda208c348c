"""Reminders: planned in the database, claimed by one process at a time, sent once per recipient."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import access
from core.clock import now_or
from core.errors import InvalidField
from core.events import EventView, clean_reminders, parse_reminder_minutes
from core.storage.models import Event, Reminder
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import event_view

# How long a claimed reminder stays with the process that claimed it. If that process dies, another
# takes the reminder over after this; recipients already recorded are not messaged again.
LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class DueReminder:
    reminder_id: int
    minutes_before: int
    event: EventView
    chat_ids: tuple[int, ...]
    going_user_ids: tuple[int, ...]


async def plan(
    uow: SqlAlchemyUnitOfWork, event: Event | Sequence[Event], now: datetime, *, new: bool = False
) -> None:
    """Inside a unit of work: (re)plan the reminders of an event (or of each of these events) from its
    start and chosen offsets, in two statements however many events.

    Those already due are skipped: a reminder after the fact is noise.
    """
    events = [event] if isinstance(event, Event) else list(event)
    reminders = [
        Reminder(event_id=one.id, minutes_before=minutes, due_at=due_at, state="pending")
        for one in events
        for minutes in parse_reminder_minutes(one.reminder_minutes)
        if (due_at := one.starts_at - timedelta(minutes=minutes)) > now
    ]
    await uow.reminders.replace_pending([one.id for one in events], reminders, new=new)


async def claim_due(
    uow: SqlAlchemyUnitOfWork, *, now: datetime | None = None, limit: int = 100
) -> list[DueReminder]:
    """Take up to ``limit`` due reminders for this process; drop those whose event began or was cancelled."""
    now = now_or(now)
    due: list[DueReminder] = []
    async with uow:
        claimed = await uow.reminders.claim_due(now, limit)
        # A few set-based reads for the whole batch, not three per reminder: storms come in thousands.
        event_ids = {reminder.event_id for reminder in claimed}
        events = await uow.events.by_ids(event_ids)
        chats = await uow.reminders.card_chats_of(event_ids)
        going = await uow.rsvps.going_user_ids_of(event_ids)
        for reminder in claimed:
            event = events.get(reminder.event_id)
            if event is None or event.cancelled_at is not None or event.starts_at <= now:
                reminder.state = "dropped"
                continue
            reminder.state = "sending"
            reminder.lease_until = now + LEASE
            due.append(
                DueReminder(
                    reminder.id,
                    reminder.minutes_before,
                    event_view(event),
                    tuple(chats.get(event.id, ())),
                    tuple(going.get(event.id, ())),
                )
            )
        await uow.commit()
    return due


async def start_delivery(uow: SqlAlchemyUnitOfWork, reminder_id: int, chat_id: int) -> bool:
    """Record that this reminder is about to go to ``chat_id``; False if it already went there.

    Recorded before sending, so a crash between the two loses at most that one message and never
    sends it twice.
    """
    async with uow:
        fresh = await uow.reminders.add_delivery(reminder_id, chat_id)
        await uow.commit()
        return fresh


async def finish(uow: SqlAlchemyUnitOfWork, reminder_id: int, *, now: datetime | None = None) -> None:
    """Mark a reminder sent."""
    async with uow:
        reminder = await uow.reminders.get(reminder_id)
        if reminder is not None:
            reminder.state = "sent"
            reminder.sent_at = now_or(now)
            reminder.lease_until = None
            await uow.commit()


async def pending_reminders(uow: SqlAlchemyUnitOfWork, link_id: str) -> list[datetime]:
    """When the event's remaining reminders are due."""
    async with uow:
        event = await access.find_event(uow, link_id)
        return [r.due_at for r in await uow.reminders.pending_for(event.id)]


_OFFSET_RE = re.compile(r"([0-9]{1,4})\s*(d|days?|h|hours?|hrs?|m|mins?|minutes?)\b", re.ASCII)
_UNIT_MINUTES = {"d": 1440, "h": 60, "m": 1}
_OFF_WORDS = {"off", "none", "no", "-", "0"}


def parse_offsets(text: str) -> tuple[int, ...]:
    """Read "1d 2h 30m" (each one a separate reminder) or "off"; raise ``InvalidField`` otherwise."""
    cleaned = text.strip().lower()
    if cleaned in _OFF_WORDS:
        return ()
    found = _OFFSET_RE.findall(cleaned)
    leftover = _OFFSET_RE.sub("", cleaned).replace(",", " ").replace("and", " ").strip()
    if not found or leftover:
        raise InvalidField("reminders", "not_understood")
    return clean_reminders(tuple(int(number) * _UNIT_MINUTES[unit[0]] for number, unit in found))
