"""Recurring series: moving on to the next date, skipping a date, and changing all dates to come.

A series is one event row whose ``starts_at`` is the date its cards show, with that date's own answers,
capacity, waitlist, deadline and reminders. When that date begins, the row moves on to the next date
of its rule, exactly once however many processes run (the row is claimed with SKIP LOCKED, in the
transaction that moves it): its answers go to the history of the date they were for
(``past_answers``), its cards are brought to the new date with fresh answers, and its reminders are
planned for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core import access, cards, dates, recurrence, reminders
from core.access import Requester
from core.clock import now_or
from core.errors import InvalidField, NotASeries
from core.events import GOING, Attendee, EventView, format_dates
from core.storage.models import Event
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import event_view


def start(event: Event, series: recurrence.Series) -> None:
    """Make ``event`` a series from its rule's first date on."""
    event.recurrence = series.rule
    event.series_start = event.occurrence_start = event.starts_at = series.first
    event.ends_at = series.first + series.duration if series.duration else None
    event.skipped_dates = ""


async def roll_over_due(uow: SqlAlchemyUnitOfWork, *, now: datetime | None = None, limit: int = 200) -> int:
    """Move every series whose shown date has begun on to its next date; return how many moved."""
    now = now_or(now)
    async with uow:
        due = await uow.events.claim_due_series(now, limit)
        for event in due:
            await _move_on(uow, event, now)
        await uow.commit()
    return len(due)


async def _move_on(uow: SqlAlchemyUnitOfWork, event: Event, now: datetime) -> None:
    assert event.recurrence is not None and event.series_start is not None
    skipped = [day for day in _skipped(event) if day > now]
    base = max(now, event.occurrence_start or event.starts_at)
    following = recurrence.next_start(
        event.recurrence, event.series_start, event.timezone, after=base, skipped=skipped
    )
    event.skipped_dates = format_dates(skipped)
    event.updated_at = now
    if following is None:
        event.occurrence_start = None  # the series is over: the row stays at its last date
        await uow.events.flush()
        return
    await uow.rsvps.archive(event.id, event.starts_at)
    length = event.ends_at - event.starts_at if event.ends_at else None
    event.starts_at = event.occurrence_start = following
    event.ends_at = following + length if length else None
    event.answers_closed = False
    event.answers_close_at = None
    await uow.events.flush()
    await reminders.plan(uow, event, now)
    await cards.changed(uow, event, now)


@dataclass(frozen=True, slots=True)
class Skipped:
    event: EventView  # the series, at the date it shows now
    day: datetime  # the date skipped
    told: tuple[Attendee, ...]  # who was going to it (when it was the date shown): to be told


async def skip_date(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    requester: Requester,
    *,
    day: str | None = None,
    code: str | None = None,
    now: datetime | None = None,
) -> Skipped:
    """Skip the series' next date (the one its cards show), or another date to come (``day``)."""
    now = now_or(now)
    if code is not None:
        await access.unlock(uow, link_id, requester, code, now=now)
    async with uow:
        event = await access.manageable_event(uow, link_id, requester, now)
        if event.recurrence is None or event.series_start is None or event.occurrence_start is None:
            raise NotASeries()
        when = _date_of(event, day, now) if day else event.occurrence_start
        told: tuple[Attendee, ...] = ()
        if when == event.occurrence_start:
            told = tuple(
                Attendee(a.user_id, a.name, a.guests)
                for a in await uow.rsvps.answers(event.id)
                if a.status == GOING
            )
            event.skipped_dates = format_dates({*_skipped(event), when})
            await _move_on(uow, event, now)
        else:
            event.skipped_dates = format_dates({*_skipped(event), when})
            event.updated_at = now
            await uow.events.flush()
            await cards.changed(uow, event, now)
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
        return Skipped(view, when, told)


def _date_of(event: Event, text: str, now: datetime) -> datetime:
    """The series' start on the day typed; refused if the rule has no date that day, or it is gone."""
    assert event.recurrence is not None and event.series_start is not None
    day: date = dates.parse_day(text, event.timezone, now=now)
    found = recurrence.start_on(event.recurrence, event.series_start, event.timezone, day)
    shown = event.occurrence_start
    if found is None or (shown is not None and found < shown) or found in _skipped(event):
        raise InvalidField("skip", "not_a_date_of_the_series", day=day)
    return found


def replace_rule(event: Event, text: str, now: datetime) -> None:
    """All dates to come follow a new rule ("every Wed 19:30"), from its first date ahead; "off" ends
    the series after the date its cards show."""
    if text.strip().lower() in ("off", "none", "no", "-", "stop", "end"):
        event.recurrence = event.series_start = event.occurrence_start = None
        event.skipped_dates = ""
        return
    series = recurrence.parse_series(text, event.timezone, now=now)
    length = event.ends_at - event.starts_at if event.ends_at else None
    start(event, series)
    if series.duration is None and length is not None:
        event.ends_at = event.starts_at + length
    if event.answers_close_at is not None and event.answers_close_at >= event.starts_at:
        event.answers_close_at = None


def _skipped(event: Event) -> list[datetime]:
    return [datetime.fromisoformat(part) for part in event.skipped_dates.split(",") if part]
