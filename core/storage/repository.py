"""Repositories: they add, find and flush; committing is the unit of work's job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Row, String, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.events import GOING, WAITING
from core.storage.models import (
    ChatSettings,
    CodeAttempt,
    CodeClaim,
    Conversation,
    Event,
    PostedCard,
    Reminder,
    ReminderDelivery,
    Rsvp,
    UtcDateTime,
)


class Answer(NamedTuple):
    user_id: int
    name: str
    status: str


_EVENTS, _RSVPS, _SETTINGS = Event.__table__, Rsvp.__table__, ChatSettings.__table__
_ANSWERS_QUERY = (
    select(
        _EVENTS,
        _RSVPS.c.user_id.label("answer_user_id"),
        _RSVPS.c.name.label("answer_name"),
        _RSVPS.c.status.label("answer_status"),
        select(_SETTINGS.c.timezone)
        .where(_SETTINGS.c.chat_id == bindparam("viewer", type_=BigInteger))
        .scalar_subquery()
        .label("viewer_zone"),
    )
    .select_from(_EVENTS.outerjoin(_RSVPS, _RSVPS.c.event_id == _EVENTS.c.id))
    .where(_EVENTS.c.link_id == bindparam("link", type_=String))
    .order_by(_RSVPS.c.responded_at, _RSVPS.c.id)
)


def _record_card_statement(insert: Any) -> Any:
    source = select(
        _EVENTS.c.id,
        bindparam("chat", type_=BigInteger),
        bindparam("message", type_=BigInteger),
        bindparam("inline", type_=String),
        bindparam("now", type_=UtcDateTime()),
    ).where(_EVENTS.c.link_id == bindparam("link", type_=String))
    columns = ["event_id", "chat_id", "message_id", "inline_message_id", "created_at"]
    return insert(PostedCard.__table__).from_select(columns, source).on_conflict_do_nothing()


# Keyed by "is it PostgreSQL": each dialect has its own ON CONFLICT.
_RECORD_CARD = {True: _record_card_statement(postgresql_insert), False: _record_card_statement(sqlite_insert)}


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, event: Event) -> None:
        self.session.add(event)
        await self.session.flush()

    async def get_by_link(self, link_id: str, *, for_update: bool = False) -> Event | None:
        query = select(Event).where(Event.link_id == link_id)
        if for_update:
            # Serialises writers on PostgreSQL; SQLite already serialises them (BEGIN IMMEDIATE).
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def get(self, event_id: int) -> Event | None:
        return await self.session.get(Event, event_id)

    async def get_with_answers(
        self, link_id: str, viewer_chat_id: int | None = None
    ) -> tuple[Row[Any], list[Answer], str | None] | None:
        """The event's row, its answers in order, and the viewer's chosen timezone: one statement.

        Plain rows, not ORM objects, from a statement built once: this is the hottest read there is.
        """
        rows = (await self.session.execute(_ANSWERS_QUERY, {"link": link_id, "viewer": viewer_chat_id})).all()
        if not rows:
            return None
        answers = [
            Answer(row.answer_user_id, row.answer_name, row.answer_status)
            for row in rows
            if row.answer_status is not None
        ]
        return rows[0], answers, rows[0].viewer_zone

    async def set_publishing_until(self, event_id: int, until: datetime) -> None:
        # A bulk UPDATE, so the event's version (its iCalendar SEQUENCE) stays as it is.
        await self.session.execute(update(Event).where(Event.id == event_id).values(publishing_until=until))

    async def by_ids(self, event_ids: set[int]) -> dict[int, Event]:
        if not event_ids:
            return {}
        return {
            e.id: e for e in (await self.session.scalars(select(Event).where(Event.id.in_(event_ids)))).all()
        }

    async def get_by_origin(self, origin: str) -> Event | None:
        return (await self.session.scalars(select(Event).where(Event.origin == origin))).one_or_none()

    async def list_by_creator(self, user_id: int, *, starting_after: datetime, limit: int) -> Sequence[Event]:
        query = (
            select(Event)
            .where(
                Event.creator_user_id == user_id,
                Event.cancelled_at.is_(None),
                Event.starts_at > starting_after,
            )
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def flush(self) -> None:
        await self.session.flush()


class CardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_event(self, event_id: int) -> Sequence[PostedCard]:
        query = select(PostedCard).where(PostedCard.event_id == event_id).order_by(PostedCard.id)
        return (await self.session.scalars(query)).all()

    async def for_link(self, link_id: str) -> Sequence[PostedCard]:
        query = (
            select(PostedCard)
            .join(Event, Event.id == PostedCard.event_id)
            .where(Event.link_id == link_id)
            .order_by(PostedCard.id)
        )
        return (await self.session.scalars(query)).all()

    async def record(
        self,
        link_id: str,
        *,
        chat_id: int | None,
        message_id: int | None,
        inline_message_id: str | None,
        now: datetime,
    ) -> None:
        """Remember a card in one statement; a card already known, or an unknown link, changes nothing."""
        statement = _RECORD_CARD[self.session.get_bind().dialect.name == "postgresql"]
        await self.session.execute(
            statement,
            {
                "link": link_id,
                "chat": chat_id,
                "message": message_id,
                "inline": inline_message_id,
                "now": now,
            },
        )

    async def find(
        self, chat_id: int | None, message_id: int | None, inline_message_id: str | None
    ) -> PostedCard | None:
        if inline_message_id is not None:
            query = select(PostedCard).where(PostedCard.inline_message_id == inline_message_id)
        else:
            query = select(PostedCard).where(
                PostedCard.chat_id == chat_id, PostedCard.message_id == message_id
            )
        return (await self.session.scalars(query)).one_or_none()

    async def remove(self, card: PostedCard) -> None:
        await self.session.delete(card)
        await self.session.flush()


class ClaimRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, claim: CodeClaim) -> None:
        self.session.add(claim)
        await self.session.flush()

    async def get_by_token_hash(self, token_hash: str) -> CodeClaim | None:
        query = select(CodeClaim).where(CodeClaim.token_hash == token_hash).with_for_update()
        return (await self.session.scalars(query)).one_or_none()


class SettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, chat_id: int) -> ChatSettings | None:
        return await self.session.get(ChatSettings, chat_id)

    async def add(self, settings: ChatSettings) -> None:
        self.session.add(settings)
        await self.session.flush()


class AttemptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, event_id: int, user_id: int) -> CodeAttempt | None:
        query = (
            select(CodeAttempt)
            .where(CodeAttempt.event_id == event_id, CodeAttempt.user_id == user_id)
            .with_for_update()
        )
        return (await self.session.scalars(query)).one_or_none()

    async def add(self, attempt: CodeAttempt) -> None:
        self.session.add(attempt)
        await self.session.flush()

    async def clear(self, event_id: int, user_id: int) -> None:
        await self.session.execute(
            delete(CodeAttempt).where(CodeAttempt.event_id == event_id, CodeAttempt.user_id == user_id)
        )


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, chat_id: int, user_id: int, *, for_update: bool = False) -> Conversation | None:
        return await self.session.get(Conversation, (chat_id, user_id), with_for_update=for_update)

    async def add(self, conversation: Conversation) -> None:
        self.session.add(conversation)
        await self.session.flush()

    async def remove(self, chat_id: int, user_id: int) -> None:
        await self.session.execute(
            delete(Conversation).where(Conversation.chat_id == chat_id, Conversation.user_id == user_id)
        )


class RsvpRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_event(self, event_id: int) -> Sequence[Rsvp]:
        query = select(Rsvp).where(Rsvp.event_id == event_id).order_by(Rsvp.responded_at, Rsvp.id)
        return (await self.session.scalars(query)).all()

    async def get(self, event_id: int, user_id: int) -> Rsvp | None:
        query = select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.user_id == user_id)
        return (await self.session.scalars(query)).one_or_none()

    async def add(self, rsvp: Rsvp) -> None:
        self.session.add(rsvp)
        await self.session.flush()

    async def count(self, event_id: int, status: str) -> int:
        query = select(func.count()).select_from(Rsvp).where(Rsvp.event_id == event_id, Rsvp.status == status)
        return int(await self.session.scalar(query) or 0)

    async def first_waiting(self, event_id: int, limit: int) -> Sequence[Rsvp]:
        query = (
            select(Rsvp)
            .where(Rsvp.event_id == event_id, Rsvp.status == WAITING)
            .order_by(Rsvp.responded_at, Rsvp.id)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def flush(self) -> None:
        await self.session.flush()

    async def going_user_ids_of(self, event_ids: set[int]) -> dict[int, list[int]]:
        """Who is going, per event, in the order they answered."""
        found: dict[int, list[int]] = {}
        if not event_ids:
            return found
        query = (
            select(Rsvp.event_id, Rsvp.user_id)
            .where(Rsvp.event_id.in_(event_ids), Rsvp.status == GOING)
            .order_by(Rsvp.event_id, Rsvp.id)
        )
        for event_id, user_id in (await self.session.execute(query)).all():
            found.setdefault(event_id, []).append(user_id)
        return found


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_pending(self, event_id: int, reminders: list[Reminder], *, new: bool = False) -> None:
        """Replace the event's pending reminders (a new event has none to delete)."""
        if not new:
            await self.session.execute(
                delete(Reminder).where(Reminder.event_id == event_id, Reminder.state == "pending")
            )
        self.session.add_all(reminders)
        await self.session.flush()

    async def drop_pending(self, event_id: int) -> None:
        await self.session.execute(
            update(Reminder)
            .where(Reminder.event_id == event_id, Reminder.state == "pending")
            .values(state="dropped")
        )

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Reminder]:
        """Lock due reminders that no other process holds; SKIP LOCKED lets processes share the work."""
        query = (
            select(Reminder)
            .where(
                or_(
                    and_(Reminder.state == "pending", Reminder.due_at <= now),
                    and_(Reminder.state == "sending", Reminder.lease_until < now),
                )
            )
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(query)).all()

    async def get(self, reminder_id: int) -> Reminder | None:
        return await self.session.get(Reminder, reminder_id)

    async def pending_for(self, event_id: int) -> Sequence[Reminder]:
        query = (
            select(Reminder)
            .where(Reminder.event_id == event_id, Reminder.state == "pending")
            .order_by(Reminder.due_at)
        )
        return (await self.session.scalars(query)).all()

    async def add_delivery(self, delivery: ReminderDelivery) -> bool:
        """Record a recipient; False when this reminder already went (or is going) to them."""
        exists = await self.session.get(ReminderDelivery, (delivery.reminder_id, delivery.chat_id))
        if exists is not None:
            return False
        self.session.add(delivery)
        await self.session.flush()
        return True

    async def card_chats_of(self, event_ids: set[int]) -> dict[int, list[int]]:
        """Group chats holding a card, per event (private copies are people just looking)."""
        found: dict[int, list[int]] = {}
        if not event_ids:
            return found
        query = (
            select(PostedCard.event_id, PostedCard.chat_id)
            .where(PostedCard.event_id.in_(event_ids), PostedCard.chat_id < 0)
            .distinct()
            .order_by(PostedCard.event_id, PostedCard.chat_id)
        )
        for event_id, chat_id in (await self.session.execute(query)).all():
            if chat_id is not None:
                found.setdefault(event_id, []).append(chat_id)
        return found
