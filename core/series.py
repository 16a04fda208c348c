"""Recurring series: moving on to the next date, skipping or moving one date, and changing all dates
to come.

A series is one event row whose ``starts_at`` is the date its cards show, with that date's own answers,
capacity, waitlist, deadline and reminders. When that date begins, the row moves on to the next date
of its rule, exactly once however many processes run (the row is claimed with SKIP LOCKED, in the
transaction that moves it): its answers go to the history of the date they were for
(``past_answers``), its cards are brought to the new date with fresh answers, and its reminders are
planned for it. A date to come that was moved keeps its place in the rule (its start by the rule,
``occurrence_start`` once shown) and its new start in ``moved_dates``; it may move only between the
dates around it, so the dates keep their order and one row can show them one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core import access, cards, dates, recurrence, reminders
from core.access import Requester
from core.clock import now_or
from core.errors import InvalidField, NotASeries
from core.events import GOING, Attendee, EventView, format_dates, format_moves, parse_moves
from core.storage.models import Event
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import event_view


def start(event: Event, series: recurrence.Series) -> None:
    """Make ``event`` a series from its rule's first date on."""
    event.recurrence = series.rule
    event.series_start = event.occurrence_start = event.starts_at = series.first
    event.ends_at = series.first + series.duration if series.duration else None
    event.skipped_dates = event.moved_dates = ""
    keep_coming(event)


def keep_coming(event: Event) -> None:
    """Keep in the row the dates its cards list after the one they show (a view then reads them rather
    than walking the rule). Any change that does not call this leaves a list whose key no longer matches,
    which views ignore."""
    if event.recurrence is None or event.series_start is None or event.occurrence_start is None:
        event.coming_dates = ""
        return
    event.coming_dates = recurrence.coming(
        event.recurrence,
        event.series_start,
        event.timezone,
        max(event.starts_at, event.occurrence_start),
        event.skipped_dates,
        event.moved_dates,
    )


async def roll_over_due(uow: SqlAlchemyUnitOfWork, *, now: datetime | None = None, limit: int = 500) -> int:
    """Move every series whose shown date has begun on to its next date; return how many moved."""
    now = now_or(now)
    async with uow:
        due = await uow.events.claim_due_series(now, limit)
        await _move_on(uow, due, now)
        await uow.commit()
    return len(due)


async def _move_on(uow: SqlAlchemyUnitOfWork, events: Sequence[Event], now: datetime) -> None:
    """Move each (locked) series on to its next date still ahead, in a few statements for the whole
    batch: a storm of series due in the same minute is thousands of rows."""
    changes = [_next_date(event, now) for event in events]
    going_on = [event for event, change in zip(events, changes, strict=True) if change["occurrence_start"]]
    await uow.rsvps.archive([event.id for event in going_on])
    await uow.events.move_on(events, changes)
    await reminders.plan(uow, going_on, now)
    await cards.changed(uow, going_on, now)


def _next_date(event: Event, now: datetime) -> dict[str, Any]:
    """The columns that change when ``event`` moves on: to its next date with its answers reopened, or,
    when the series is over, none (the row stays at its last date)."""
    assert event.recurrence is not None and event.series_start is not None
    skipped = [day for day in _skipped(event) if day > now]
    base = max(now, event.occurrence_start or event.starts_at)
    following = recurrence.next_start(
        event.recurrence, event.series_start, event.timezone, after=base, skipped=skipped
    )
    change: dict[str, Any] = {
        "skipped_dates": format_dates(skipped),
        "updated_at": now,
        "occurrence_start": following,
        "moved_dates": "",
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "answers_closed": event.answers_closed,
        "answers_close_at": event.answers_close_at,
    }
    if following is None:
        return change | {"coming_dates": ""}
    moves = {was: to for was, to in parse_moves(event.moved_dates) if was >= following}
    starts_at = moves.pop(following, following)
    length = event.ends_at - event.starts_at if event.ends_at else None
    moved_dates = format_moves(moves.items())
    return change | {
        "moved_dates": moved_dates,
        "starts_at": starts_at,
        "ends_at": starts_at + length if length else None,
        "answers_closed": False,
        "answers_close_at": None,
        "coming_dates": recurrence.coming(
            event.recurrence,
            event.series_start,
            event.timezone,
            max(starts_at, following),
            change["skipped_dates"],
            moved_dates,
        ),
    }


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
    language: str = "en",
) -> Skipped:
    """Skip the series' next date (the one its cards show), or another date to come (``day``)."""
    now = now_or(now)
    if code is not None:
        await access.unlock(uow, link_id, requester, code, now=now)
    async with uow:
        event = await access.manageable_event(uow, link_id, requester, now)
        if event.recurrence is None or event.series_start is None or event.occurrence_start is None:
            raise NotASeries()
        when = _date_of(event, day, now, language) if day else event.occurrence_start
        told: tuple[Attendee, ...] = ()
        event.moved_dates = format_moves(
            (was, to) for was, to in parse_moves(event.moved_dates) if was != when
        )
        if when == event.occurrence_start:
            told = tuple(
                Attendee(a.user_id, a.name, a.guests)
                for a in await uow.rsvps.answers(event.id)
                if a.status == GOING
            )
            event.skipped_dates = format_dates({*_skipped(event), when})
            await _move_on(uow, [event], now)
        else:
            event.skipped_dates = format_dates({*_skipped(event), when})
            event.updated_at = now
            keep_coming(event)
            await uow.events.flush()
            await cards.changed(uow, event, now)
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
        return Skipped(view, when, told)


@dataclass(frozen=True, slots=True)
class Moved:
    event: EventView  # the series, at the date it shows now
    day: datetime  # the date moved, at its start by the rule
    to: datetime  # its new start


async def move_date(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    requester: Requester,
    day: str,
    when: str,
    *,
    code: str | None = None,
    now: datetime | None = None,
    language: str = "en",
) -> Moved:
    """Move one date of the series (the day as the rule has it) to another time, keeping the rule: the
    date its cards show keeps its answers, like an edit of its time."""
    now = now_or(now)
    if code is not None:
        await access.unlock(uow, link_id, requester, code, now=now)
    async with uow:
        event = await access.manageable_event(uow, link_id, requester, now)
        if event.recurrence is None or event.series_start is None or event.occurrence_start is None:
            raise NotASeries()
        original = _date_of(event, day, now, language)
        to = dates.parse_when(when, event.timezone, now=now, language=language).starts_at
        check_move(event, original, to, now)
        if original == event.occurrence_start:
            length = event.ends_at - event.starts_at if event.ends_at else None
            event.starts_at, event.ends_at = to, (to + length if length else None)
            if event.answers_close_at is not None and event.answers_close_at >= to:
                event.answers_close_at = None
            event.answers_closed = (event.answers_close_at or to) <= now
        else:
            moves = dict(parse_moves(event.moved_dates))
            moves[original] = to
            event.moved_dates = format_moves((was, new) for was, new in moves.items() if was != new)
        event.updated_at = now
        keep_coming(event)
        await uow.events.flush()
        if original == event.occurrence_start:
            await reminders.plan(uow, event, now)
        await cards.changed(uow, event, now)
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
        return Moved(view, original, to)


def check_move(event: Event, original: datetime, to: datetime, now: datetime) -> None:
    """A date of the series (``original``, its start by the rule) may move only between the dates
    around it as they stand (and not into the past): the dates keep their order."""
    assert event.recurrence is not None and event.series_start is not None
    shown = event.occurrence_start or original
    moves = dict(parse_moves(event.moved_dates))
    previous = now
    if original != shown:
        previous = max(now, event.starts_at)
        between = recurrence.occurrences(
            event.recurrence,
            event.series_start,
            event.timezone,
            after=shown,
            skipped=_skipped(event),
            limit=500,
        )
        for rule_start in between:
            if rule_start >= original:
                break
            previous = max(previous, moves.get(rule_start, rule_start))
    following = recurrence.occurrences(
        event.recurrence,
        event.series_start,
        event.timezone,
        after=original,
        skipped=_skipped(event),
        moved=moves.items(),
        limit=1,
    )
    if following and not previous < to < following[0]:
        raise InvalidField(
            "move", "out_of_order", after=previous, before=following[0], timezone=event.timezone
        )
    if to <= previous:
        raise InvalidField("move", "too_early", after=previous, timezone=event.timezone)


def _date_of(event: Event, text: str, now: datetime, language: str = "en") -> datetime:
    """The series' start on the day typed (its day by the rule); refused if the rule has no date that
    day, or it is gone."""
    assert event.recurrence is not None and event.series_start is not None
    day: date = dates.parse_day(text, event.timezone, now=now, language=language)
    found = recurrence.start_on(event.recurrence, event.series_start, event.timezone, day)
    shown = event.occurrence_start
    if found is None or (shown is not None and found < shown) or found in _skipped(event):
        raise InvalidField("date", "not_a_date_of_the_series", day=day)
    return found


def replace_rule(event: Event, text: str, now: datetime) -> None:
    """All dates to come follow a new rule ("every Wed 19:30"), from its first date ahead; "off" ends
    the series after the date its cards show."""
    if text.strip().lower() in ("off", "none", "no", "-", "stop", "end"):
        event.recurrence = event.series_start = event.occurrence_start = None
        event.skipped_dates = event.moved_dates = event.coming_dates = ""
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
