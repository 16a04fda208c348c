"""Reminders: planned in the database, claimed by one process at a time, sent once per recipient."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import InvalidField
from core.events import EventView, clean_reminders, format_reminder_minutes
from core.service import (
    Credentials,
    current_time,
    find_editable_event,
    find_event,
    schedule_reminders,
    to_view,
)
from core.storage.models import ReminderDelivery
from core.storage.uow import SqlAlchemyUnitOfWork

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


async def set_reminders(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    credentials: Credentials,
    minutes_before: tuple[int, ...],
    *,
    now: datetime | None = None,
) -> EventView:
    """Choose when reminders go out (minutes before the start); an empty tuple turns them off."""
    now = current_time(now)
    minutes = clean_reminders(minutes_before)
    async with uow:
        event = await find_editable_event(uow, link_id, credentials, now)
        event.reminder_minutes = format_reminder_minutes(minutes)
        event.updated_at = now
        await uow.events.flush()
        await schedule_reminders(uow, event, now)
        await uow.commit()
        return to_view(event)


async def claim_due(
    uow: SqlAlchemyUnitOfWork, *, now: datetime | None = None, limit: int = 100
) -> list[DueReminder]:
    """Take up to ``limit`` due reminders for this process; drop those whose event began or was cancelled."""
    now = current_time(now)
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
                    to_view(event),
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
        fresh = await uow.reminders.add_delivery(ReminderDelivery(reminder_id=reminder_id, chat_id=chat_id))
        await uow.commit()
        return fresh


async def finish(uow: SqlAlchemyUnitOfWork, reminder_id: int, *, now: datetime | None = None) -> None:
    """Mark a reminder sent."""
    async with uow:
        reminder = await uow.reminders.get(reminder_id)
        if reminder is not None:
            reminder.state = "sent"
            reminder.sent_at = current_time(now)
            reminder.lease_until = None
            await uow.commit()


async def pending_reminders(uow: SqlAlchemyUnitOfWork, link_id: str) -> list[datetime]:
    """When the event's remaining reminders are due."""
    async with uow:
        event = await find_event(uow, link_id)
        return [r.due_at for r in await uow.reminders.pending_for(event.id)]


_OFFSET_RE = re.compile(r"(\d{1,4})\s*(d|days?|h|hours?|hrs?|m|mins?|minutes?)\b")
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
        raise InvalidField("reminders", "say how long before the start, e.g. “1d 1h” or “30m”, or “off”.")
    return clean_reminders(tuple(int(number) * _UNIT_MINUTES[unit[0]] for number, unit in found))


def describe_offsets(minutes: tuple[int, ...]) -> str:
    """ "1 day and 1 hour before the start", or "off"."""
    if not minutes:
        return "off"
    parts = []
    for total in minutes:
        days, rest = divmod(total, 1440)
        hours, mins = divmod(rest, 60)
        units = [(days, "day"), (hours, "hour"), (mins, "minute")]
        parts.append(" ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in units if n))
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{joined} before the start"
