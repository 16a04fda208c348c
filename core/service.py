"""Event use cases: create, view, list, manage, edit, cancel, replace the code.

Plain async functions: plain values in, plain values out, each intent one call. They know no SQL and
no Telegram: storage is reached through the unit of work's repositories, who may manage an event is
``core.access``'s business, and failures are ``core.errors`` with a code, never a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import access, attendance, cards, codes, dates, recurrence, reminders, series
from core.access import Requester
from core.clock import as_utc, now_or
from core.errors import (
    ConcurrentChange,
    DuplicateLink,
    DuplicateOrigin,
    EventNotFound,
    FlowExpired,
    InvalidField,
    NotAllowed,
    StaleRow,
)
from core.events import (
    OFF_CARD_FIELDS,
    Attendee,
    EventView,
    Field,
    clean_description,
    clean_location,
    clean_title,
    format_reminder_minutes,
    parse_capacity,
    parse_guests,
    parse_list_visibility,
)
from core.storage.models import Event
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import ViewRead, event_view

LINK_ATTEMPTS = 5
# Fields a poll does not have until it is decided: its times are its options.
POLL_FIXED_FIELDS = frozenset({Field.WHEN, Field.END, Field.CLOSES, Field.REPEAT, Field.REMINDERS})
MY_EVENTS_LIMIT = 20


@dataclass(frozen=True, slots=True)
class CreatedEvent:
    event: EventView
    secret_code: str
    repeated: bool = False  # the same request again: the first event, and no code
    # The chat's first event in a zone nobody chose: its card should say which zone it used.
    names_zone: bool = False


@dataclass(frozen=True, slots=True)
class Management:
    """An event, and whether the person asking may manage it without typing its code."""

    event: EventView
    allowed: bool


@dataclass(frozen=True, slots=True)
class Edited:
    event: EventView
    field: Field
    promoted: tuple[Attendee, ...] = ()  # off the waitlist, when more seats were added


@dataclass(frozen=True, slots=True)
class NewCode:
    event: EventView
    secret_code: str


def _span(when: str | datetime | dates.When, timezone: str, now: datetime, language: str) -> dates.When:
    """What was typed, read in ``timezone``; or an instant (with an end) fixed earlier, still ahead."""
    if isinstance(when, str):
        return dates.parse_when(when, timezone, now=now, language=language)
    span = when if isinstance(when, dates.When) else dates.When(when, None)
    if span.starts_at.tzinfo is None:
        raise InvalidField("when", "no_timezone")
    if span.starts_at <= now:
        raise InvalidField("when", "past", instant=span.starts_at, timezone=timezone)
    return dates.When(as_utc(span.starts_at), as_utc(span.ends_at) if span.ends_at else None)


async def create_event(
    uow: SqlAlchemyUnitOfWork,
    *,
    title: str,
    when: str | datetime | dates.When,
    timezone: str,
    description: str | None = None,
    location: str | None = None,
    creator_user_id: int | None = None,
    chat_id: int | None = None,
    rounds: int = codes.DEFAULT_ROUNDS,
    now: datetime | None = None,
    origin: str | None = None,
    zone_chosen: bool = True,
    repeat: str | None = None,
    language: str = "en",
) -> CreatedEvent:
    """Create an event; its secret code is returned here and never again.

    ``origin`` identifies the request (e.g. "chat:message"). Asked again with the same origin, this
    returns the event made the first time, marked ``repeated`` and without a code. With
    ``zone_chosen`` False the chat never chose its timezone: its first such event is remembered, and
    marked ``names_zone``, so its card says which zone it used. ``language`` is the chat's: a date is
    read in it and in English.
    """
    now = now_or(now)
    if origin is not None and (earlier := await _created_from(uow, origin)) is not None:
        return earlier
    if not dates.is_valid_timezone(timezone):
        raise InvalidField("timezone", "unknown", text=timezone[:40])
    fields = {
        "title": clean_title(title),
        "description": clean_description(description),
        "location": clean_location(location),
        "timezone": timezone,
    }
    repeating = (
        recurrence.parse_series(when, timezone, now=now)
        if isinstance(when, str) and recurrence.is_series(when)
        else None
    )
    span = dates.When(repeating.first, None) if repeating else _span(when, timezone, now, language)
    if repeating is None and repeat is not None:  # a rule chosen with buttons, from the date given
        length = span.ends_at - span.starts_at if span.ends_at else None
        repeating = recurrence.Series(repeat, span.starts_at, length)
    secret_code, code_hash = await codes.new_code_and_hash(rounds)
    async with uow:
        for _attempt in range(LINK_ATTEMPTS):
            event = Event(
                link_id=codes.new_link_id(),
                origin=origin,
                publishing_until=now + cards.PUBLISH_LEASE,
                starts_at=span.starts_at,
                ends_at=span.ends_at,
                creator_user_id=creator_user_id,
                chat_id=chat_id,
                code_hash=code_hash,
                created_at=now,
                updated_at=now,
                **fields,
            )
            if repeating is not None:
                series.start(event, repeating)
            try:
                await uow.events.add(event)
            except DuplicateLink:
                continue
            except DuplicateOrigin:
                break  # the same request, being handled at this moment by another process
            await reminders.plan(uow, event, now, new=True)
            first = (
                not zone_chosen
                and chat_id is not None
                and await uow.settings.claim_first_event(chat_id, event.link_id)
            )
            await uow.commit()
            return CreatedEvent(event_view(event), secret_code, names_zone=first)
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
        return CreatedEvent(event_view(event, await uow.rsvps.answers(event.id)), "", repeated=True)


async def view_event(
    uow: SqlAlchemyUnitOfWork, link_id: str, *, viewer_chat_id: int | None = None
) -> ViewRead:
    """The event with its answers, and the timezone the viewer's chat chose (if any).

    One statement: this is the path every tap on a link takes.
    """
    if not codes.is_link_id(link_id):
        raise EventNotFound()
    found = await uow.read_view(link_id, viewer_chat_id)
    if found is None:
        raise EventNotFound()
    return found


async def get_event(uow: SqlAlchemyUnitOfWork, link_id: str) -> EventView:
    """An event by its public link, cancelled or not, with who is coming."""
    return (await view_event(uow, link_id)).event


async def list_user_events(
    uow: SqlAlchemyUnitOfWork, user_id: int, *, now: datetime | None = None, limit: int = MY_EVENTS_LIMIT
) -> list[EventView]:
    """The upcoming, not cancelled events a user created, soonest first."""
    async with uow:
        events = await uow.events.list_by_creator(user_id, starting_after=now_or(now), limit=limit)
        return [event_view(event) for event in events]


async def open_management(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    requester: Requester,
    *,
    code: str | None = None,
    now: datetime | None = None,
) -> Management:
    """The event, and whether ``requester`` may manage it (typing ``code`` first, if given)."""
    now = now_or(now)
    if code is not None:
        return Management(await access.unlock(uow, link_id, requester, code, now=now), allowed=True)
    async with uow:
        event = await access.find_event(uow, link_id)
        access.ensure_not_cancelled(event)
        allowed = await access.may_manage(uow, event, requester, now)
        return Management(event_view(event), allowed)


async def edit_event(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    requester: Requester,
    field: Field,
    value: str,
    *,
    code: str | None = None,
    now: datetime | None = None,
    language: str = "en",
) -> Edited:
    """Change one field from what a person typed ("" clears a place, details, an end or a deadline;
    "0" removes a limit)."""
    now = now_or(now)
    if code is not None:
        await access.unlock(uow, link_id, requester, code, now=now)
    change = _clean(field, value)
    async with uow:
        event = await access.manageable_event(uow, link_id, requester, now)
        if event.kind == "poll" and field in POLL_FIXED_FIELDS:
            raise InvalidField(field.value, "poll_field")  # a poll's times change with /editpoll
        _apply(event, field, value, change, now, language)
        event.updated_at = now
        try:
            await uow.events.flush()
        except StaleRow:
            raise ConcurrentChange() from None
        promoted: tuple[Attendee, ...] = ()
        if field is Field.CAPACITY:
            promoted = await attendance.fill_free_seats(uow, event)
        if field in (Field.WHEN, Field.REMINDERS, Field.REPEAT):
            await reminders.plan(uow, event, now)
        if field not in OFF_CARD_FIELDS:
            await cards.changed(uow, event, now)
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
        return Edited(view, field, promoted)


def _clean(field: Field, value: str) -> object:
    """Check a typed value before any transaction opens; times need the event's own, so wait."""
    if field is Field.TITLE:
        return clean_title(value)
    if field is Field.LOCATION:
        return clean_location(value)
    if field is Field.DESCRIPTION:
        return clean_description(value)
    if field is Field.CAPACITY:
        return parse_capacity(value)
    if field is Field.GUESTS:
        return parse_guests(value)
    if field is Field.LIST:
        return parse_list_visibility(value)
    if field is Field.REMINDERS:
        return format_reminder_minutes(reminders.parse_offsets(value))
    return value


def _apply(event: Event, field: Field, value: str, change: object, now: datetime, language: str) -> None:
    """Set the field on the locked event, keeping its times in order."""
    if field is Field.REPEAT or (field is Field.WHEN and recurrence.is_series(value)):
        series.replace_rule(event, value, now)
    elif field is Field.WHEN:
        # On a series this moves the date its cards show; the rule goes on from that date's place.
        span = dates.parse_when(value, event.timezone, now=now, language=language)
        if event.recurrence is not None and event.occurrence_start is not None:
            series.check_move(event, event.occurrence_start, span.starts_at, now)
        if span.ends_at is None and event.ends_at is not None:
            span = dates.When(span.starts_at, span.starts_at + (event.ends_at - event.starts_at))
        event.starts_at, event.ends_at = span.starts_at, span.ends_at
        if event.answers_close_at is not None and event.answers_close_at >= event.starts_at:
            event.answers_close_at = None  # a deadline after the new start: answers close at the start
    elif field is Field.END:
        event.ends_at = (
            dates.parse_end(value, event.starts_at, event.timezone, language=language) if value else None
        )
    elif field is Field.CLOSES:
        closes = (
            dates.parse_when(value, event.timezone, now=now, language=language).starts_at if value else None
        )
        if closes is not None and closes > event.starts_at:
            raise InvalidField(
                "closes", "after_start", closes=closes, start=event.starts_at, timezone=event.timezone
            )
        event.answers_close_at = closes
    elif field is Field.GUESTS:
        event.max_guests = change  # type: ignore[assignment]
    elif field is Field.LIST:
        event.hide_names = change  # type: ignore[assignment]
    elif field is Field.REMINDERS:
        event.reminder_minutes = change  # type: ignore[assignment]
    else:
        setattr(event, field.value, change)
    if field in (Field.WHEN, Field.CLOSES, Field.REPEAT):
        event.answers_closed = (event.answers_close_at or event.starts_at) <= now
    if field in (Field.WHEN, Field.REPEAT):
        series.keep_coming(event)


async def move_to_chat_zone(
    uow: SqlAlchemyUnitOfWork,
    chat_id: int,
    link_id: str,
    *,
    keep_clock_time: bool,
    now: datetime | None = None,
) -> EventView:
    """Put the chat's first event in the zone the chat now has: at the same clock time there (its
    instant moves), or at the same instant (its clock time moves). Offered once, after /timezone, to
    whoever may set the chat's timezone (the caller checks that)."""
    now = now_or(now)
    async with uow:
        settings = await uow.settings.get(chat_id)
        if settings is None or settings.first_event_link != link_id or settings.timezone is None:
            raise FlowExpired()
        event = await access.find_event(uow, link_id, for_update=True)
        access.ensure_not_cancelled(event)
        if keep_clock_time:
            shift = dates.same_clock_time_shift(event.starts_at, event.timezone, settings.timezone)
            if event.starts_at + shift <= now:
                raise InvalidField(
                    "when", "past", instant=event.starts_at + shift, timezone=settings.timezone
                )
            event.starts_at += shift
            event.ends_at = event.ends_at + shift if event.ends_at else None
            event.answers_close_at = event.answers_close_at + shift if event.answers_close_at else None
        event.timezone = settings.timezone
        event.updated_at = now
        settings.first_event_link = None
        await uow.events.flush()
        await reminders.plan(uow, event, now)
        await cards.changed(uow, event, now)
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
        return view


@dataclass(frozen=True, slots=True)
class AnswerRow:
    name: str
    status: str
    guests: int
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerList:
    event: EventView
    rows: tuple[AnswerRow, ...]  # in the order answered: the waitlist's order


async def answer_list(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    requester: Requester,
    *,
    code: str | None = None,
    now: datetime | None = None,
) -> AnswerList:
    """Who answered what, and when, for whoever may manage the event."""
    now = now_or(now)
    if code is not None:
        await access.unlock(uow, link_id, requester, code, now=now)
    async with uow:
        event = await access.find_event(uow, link_id)
        if not await access.may_manage(uow, event, requester, now):
            raise NotAllowed()
        rows = await uow.rsvps.answer_rows(event.id)
        return AnswerList(
            event_view(event, [row[0] for row in rows]),
            tuple(AnswerRow(a.name, a.status, a.guests, at) for a, at in rows),
        )


async def delete_event(
    uow: SqlAlchemyUnitOfWork, link_id: str, requester: Requester, *, now: datetime | None = None
) -> EventView:
    """Cancel an event. Its link keeps working and says it was cancelled."""
    now = now_or(now)
    async with uow:
        event = await access.manageable_event(uow, link_id, requester, now)
        event.cancelled_at = now
        event.updated_at = now
        await uow.events.flush()
        await uow.reminders.drop_pending(event.id)
        await cards.changed(uow, event, now)
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
        return view


async def check_manager(
    uow: SqlAlchemyUnitOfWork, link_id: str, requester: Requester, *, now: datetime | None = None
) -> EventView:
    """The event if ``requester`` may manage it now; else ``NotAllowed`` (or not found, or cancelled)."""
    now = now_or(now)
    async with uow:
        return event_view(await access.manageable_event(uow, link_id, requester, now))


async def rotate_code(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    requester: Requester,
    *,
    code: str | None = None,
    rounds: int = codes.DEFAULT_ROUNDS,
    now: datetime | None = None,
) -> NewCode:
    """Replace an event's secret code, for its creator or someone who types the current code again.

    The old code, every unlock and every claim link made with it stop working at once. One atomic
    step: of two replacements at the same moment one wins, and the other is told to try again, so
    the code a person is shown is always the code that works.
    """
    now = now_or(now)
    if code is not None:
        expected_version = (await access.check_code(uow, link_id, requester, code, now)).code_version
    else:
        async with uow:
            event = await access.find_event(uow, link_id)
            access.ensure_not_cancelled(event)
            if requester.user_id is None or requester.user_id != event.creator_user_id:
                raise NotAllowed()
            expected_version = event.code_version
    secret_code, code_hash = await codes.new_code_and_hash(rounds)
    async with uow:
        event = await access.find_event(uow, link_id, for_update=True)
        access.ensure_not_cancelled(event)
        try:
            replaced = await uow.events.replace_code(
                event, expected_version=expected_version, code_hash=code_hash, now=now
            )
        except StaleRow:
            replaced = False
        if not replaced:
            raise ConcurrentChange()
        await uow.unlocks.end_all(event.id)
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
        return NewCode(view, secret_code)
