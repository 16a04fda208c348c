"""Repositories: they add, find and flush; committing is the unit of work's job.

They are where SQL and the drivers' errors live: a duplicate key or a row changed underneath comes out
as a ``core.errors.Conflict``, so the services above know no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from core.clock import utcnow
from core.errors import DuplicateLink, DuplicateOrigin, StaleRow
from core.events import GOING, WAITING
from core.storage.models import (
    BotProcess,
    CardSync,
    ChatSettings,
    CodeAttempt,
    CodeClaim,
    Conversation,
    Event,
    PastAnswer,
    PostedCard,
    Reminder,
    ReminderDelivery,
    Rsvp,
    SendBudget,
    Unlock,
)
from core.storage.views import READ_VIEW, RECORD_CARD, Answer, CardRecord, ViewRead, views_from_rows


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    return postgresql_insert if _is_postgresql(session) else sqlite_insert


def _violates(exc: IntegrityError, table: str, column: str) -> bool:
    # PostgreSQL names the constraint (our naming convention), SQLite the column.
    text = str(exc.orig)
    return f"uq_{table}_{column}" in text or f"{table}.{column}" in text


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError:
        raise StaleRow() from None


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, event: Event) -> None:
        """Insert a new event; ``DuplicateLink`` or ``DuplicateOrigin`` if its link or origin is taken."""
        try:
            async with self.session.begin_nested():
                self.session.add(event)
                await self.session.flush()
        except IntegrityError as exc:
            if _violates(exc, "events", "origin"):
                raise DuplicateOrigin() from None
            if _violates(exc, "events", "link_id"):
                raise DuplicateLink() from None
            raise

    async def get_by_link(self, link_id: str, *, for_update: bool = False) -> Event | None:
        query = select(Event).where(Event.link_id == link_id)
        if for_update:
            # Serialises writers on PostgreSQL; SQLite already serialises them (BEGIN IMMEDIATE).
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def get(self, event_id: int, *, for_update: bool = False) -> Event | None:
        return await self.session.get(Event, event_id, with_for_update=for_update)

    async def read_view(self, link_id: str, viewer_chat_id: int | None = None) -> ViewRead | None:
        """The event behind a link with its answers, and the viewer's chosen timezone: one statement."""
        params = {"link": link_id, "viewer": viewer_chat_id, "now": utcnow()}
        rows = (await self.session.execute(READ_VIEW, params)).all()
        return views_from_rows([dict(row._mapping) for row in rows], 1)[0]

    async def card_changed(self, events: Sequence[Event]) -> None:
        """Bump the events' card_version: every posted card now shows an older one.

        A bulk UPDATE, so an answer does not bump the event's own version (its iCalendar SEQUENCE).
        """
        by_id = {event.id: event for event in events}
        statement = (
            update(Event)
            .where(Event.id.in_(by_id))
            .values(card_version=Event.card_version + 1)
            .returning(Event.id, Event.card_version)
            .execution_options(synchronize_session=False)
        )
        for event_id, version in (await self.session.execute(statement)).all():
            set_committed_value(by_id[event_id], "card_version", version)

    async def move_on(self, events: Sequence[Event], changes: Sequence[dict[str, Any]]) -> None:
        """Write each series' next date (``changes[i]`` for ``events[i]``: column values) in one
        statement for the batch, and bump each one's version (its iCalendar SEQUENCE) as a flush would.
        The rows are locked by this transaction, so the versions read are the ones written over."""
        if not events:
            return
        await _flush(self.session)  # changes made before (a date skipped) go first, version-checked
        table = cast(Table, Event.__table__)
        names = sorted(changes[0])
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({**{name: bindparam(f"b_{name}") for name in names}, "sequence": bindparam("b_sequence")})
        )
        rows = [
            {"b_id": event.id, "b_sequence": event.sequence + 1, **{f"b_{n}": change[n] for n in names}}
            for event, change in zip(events, changes, strict=True)
        ]
        await self.session.execute(statement, rows)
        for event, change in zip(events, changes, strict=True):
            for name, value in {**change, "sequence": event.sequence + 1}.items():
                set_committed_value(event, name, value)

    async def claim_due_series(self, now: datetime, limit: int) -> Sequence[Event]:
        """Series whose shown date has begun, locked for this transaction; other processes skip them."""
        query = (
            select(Event)
            .where(
                Event.recurrence.is_not(None),
                Event.occurrence_start.is_not(None),
                Event.cancelled_at.is_(None),
                Event.starts_at <= now,
            )
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(query)).all()

    async def close_due_answers(self, now: datetime, limit: int) -> list[int]:
        """Mark events whose answers closed by ``now`` (their deadline, or their start) as closed, with
        a new card version; return their ids. One statement: each event is closed once."""
        due = (
            select(Event.id)
            .where(
                Event.answers_closed.is_(False),
                or_(Event.starts_at <= now, Event.answers_close_at <= now),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(Event)
            .where(Event.id.in_(due.scalar_subquery()))
            .values(answers_closed=True, card_version=Event.card_version + 1)
            .returning(Event.id)
        )
        return list((await self.session.execute(statement)).scalars().all())

    async def set_publishing_until(self, event_id: int, until: datetime) -> None:
        # A bulk UPDATE, so the event's version (its iCalendar SEQUENCE) stays as it is.
        await self.session.execute(update(Event).where(Event.id == event_id).values(publishing_until=until))

    async def replace_code(
        self, event: Event, *, expected_version: int, code_hash: str, now: datetime
    ) -> bool:
        """Swap the code hash of a locked event if nobody replaced the code since ``expected_version``."""
        if event.code_version != expected_version:
            return False
        event.code_hash = code_hash
        event.code_version = expected_version + 1
        event.updated_at = now
        await _flush(self.session)
        return True

    async def by_ids(self, event_ids: set[int]) -> dict[int, Event]:
        if not event_ids:
            return {}
        query = select(Event).where(Event.id.in_(event_ids))
        return {event.id: event for event in (await self.session.scalars(query)).all()}

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
        """Write pending changes; ``StaleRow`` if another writer changed the event meanwhile."""
        await _flush(self.session)


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

    async def record(self, card: CardRecord) -> None:
        """Remember a card in one statement; a card already known, or an unknown link, changes nothing."""
        await self.session.execute(
            RECORD_CARD[_is_postgresql(self.session)],
            {
                "link": card.link_id,
                "chat": card.chat_id,
                "message": card.message_id,
                "inline": card.inline_message_id,
                "at": card.at,
                "version": card.version,
                "language": card.language,
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

    async def stale_of(self, event_versions: dict[int, int]) -> dict[int, list[PostedCard]]:
        """Per event, the cards showing an older version than the one given, oldest card first."""
        found: dict[int, list[PostedCard]] = {}
        if not event_versions:
            return found
        query = (
            select(PostedCard)
            .where(PostedCard.event_id.in_(event_versions))
            .order_by(PostedCard.event_id, PostedCard.id)
        )
        for card in (await self.session.scalars(query)).all():
            if card.shown_version < event_versions[card.event_id]:
                found.setdefault(card.event_id, []).append(card)
        return found

    async def by_ids(self, card_ids: Sequence[int]) -> dict[int, PostedCard]:
        if not card_ids:
            return {}
        query = select(PostedCard).where(PostedCard.id.in_(card_ids))
        return {card.id: card for card in (await self.session.scalars(query)).all()}


class CardSyncRepository:
    """Events whose cards need editing: claimable by any process, with a lease."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def schedule(self, event_ids: Iterable[int], now: datetime) -> None:
        """Make the events' cards due for an edit now, unless they already are, or are resting: one
        statement however many events (a thousand series moving on at once)."""
        rows = [{"event_id": event_id, "due_at": now} for event_id in sorted(set(event_ids))]
        if not rows:
            return
        statement = (
            _insert(self.session)(CardSync)
            .values(rows)
            .on_conflict_do_update(index_elements=["event_id"], set_={"generation": CardSync.generation + 1})
        )
        await self.session.execute(statement)

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> dict[int, int]:
        """Lease up to ``limit`` due events nobody else holds, in one statement; SKIP LOCKED lets
        processes claiming at the same moment take different ones."""
        due = (
            select(CardSync.event_id)
            .where(CardSync.due_at <= now, or_(CardSync.lease_until.is_(None), CardSync.lease_until < now))
            .order_by(CardSync.due_at, CardSync.event_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(CardSync)
            .where(CardSync.event_id.in_(due.scalar_subquery()))
            .values(lease_until=lease_until)
            .returning(CardSync.event_id, CardSync.generation)
        )
        return {
            event_id: generation
            for event_id, generation in sorted((await self.session.execute(statement)).all())
        }

    async def next_due(self) -> datetime | None:
        return (await self.session.execute(select(func.min(CardSync.due_at)))).scalar_one_or_none()

    async def renew(self, event_id: int, lease_until: datetime) -> None:
        await self.session.execute(
            update(CardSync).where(CardSync.event_id == event_id).values(lease_until=lease_until)
        )

    async def release(self, event_id: int, due_at: datetime) -> None:
        await self.session.execute(
            update(CardSync).where(CardSync.event_id == event_id).values(due_at=due_at, lease_until=None)
        )

    async def drop(self, generations: dict[int, int]) -> None:
        """Delete the work of these events, unless a change came since (its generation moved on)."""
        for event_id, generation in generations.items():
            await self.session.execute(
                delete(CardSync).where(CardSync.event_id == event_id, CardSync.generation == generation)
            )


class BudgetRepository:
    """Sending budgets shared by every bot process."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def reserve(self, chat_id: int, now: float, interval: float) -> float:
        """Take the chat's next slot (GCRA); return the new time at which its budget is whole again."""
        insert = _insert(self.session)
        latest = func.greatest if _is_postgresql(self.session) else func.max
        statement = (
            insert(SendBudget)
            .values(chat_id=chat_id, full_at=now + interval)
            .on_conflict_do_update(
                index_elements=["chat_id"],
                set_={"full_at": latest(SendBudget.full_at, now) + interval},
            )
            .returning(SendBudget.full_at)
        )
        return float((await self.session.execute(statement)).scalar_one())

    async def heartbeat(self, process_id: str, now: datetime, since: datetime) -> int:
        """Say this process is alive; forget those silent since ``since``; return how many are alive."""
        statement = (
            _insert(self.session)(BotProcess)
            .values(id=process_id, seen_at=now)
            .on_conflict_do_update(index_elements=["id"], set_={"seen_at": now})
        )
        await self.session.execute(statement)
        await self.session.execute(delete(BotProcess).where(BotProcess.seen_at < since))
        return int(await self.session.scalar(select(func.count()).select_from(BotProcess)) or 1)

    async def leave(self, process_id: str) -> None:
        await self.session.execute(delete(BotProcess).where(BotProcess.id == process_id))


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

    async def timezone_of(self, chat_id: int) -> str | None:
        query = select(ChatSettings.timezone).where(ChatSettings.chat_id == chat_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def set_timezone(self, chat_id: int, timezone: str) -> None:
        settings = await self.get(chat_id)
        if settings is None:
            self.session.add(ChatSettings(chat_id=chat_id, timezone=timezone))
        else:
            settings.timezone = timezone
        await self.session.flush()

    async def set_creators(self, chat_id: int, creators: str) -> None:
        statement = (
            _insert(self.session)(ChatSettings)
            .values(chat_id=chat_id, creators=creators)
            .on_conflict_do_update(index_elements=["chat_id"], set_={"creators": creators})
        )
        await self.session.execute(statement)

    async def languages_of(self, chat_ids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
        """(chosen, seen) language of each chat that has settings, in one statement."""
        if not chat_ids:
            return {}
        query = select(ChatSettings.chat_id, ChatSettings.language, ChatSettings.seen_language).where(
            ChatSettings.chat_id.in_(list(chat_ids))
        )
        return {row.chat_id: (row.language, row.seen_language) for row in await self.session.execute(query)}

    async def chosen_languages(self, since: datetime | None) -> list[tuple[int, str, datetime]]:
        """(chat, language, when chosen) of every choice made after ``since`` (all of them for None)."""
        query = select(ChatSettings.chat_id, ChatSettings.language, ChatSettings.language_at).where(
            ChatSettings.language.is_not(None),
            ChatSettings.language_at.is_not(None) if since is None else ChatSettings.language_at > since,
        )
        return [(row.chat_id, row.language, row.language_at) for row in await self.session.execute(query)]

    async def set_language(self, chat_id: int, language: str, at: datetime) -> None:
        statement = (
            _insert(self.session)(ChatSettings)
            .values(chat_id=chat_id, language=language, language_at=at)
            .on_conflict_do_update(index_elements=["chat_id"], set_={"language": language, "language_at": at})
        )
        await self.session.execute(statement)

    async def set_seen_language(self, chat_id: int, language: str) -> None:
        statement = (
            _insert(self.session)(ChatSettings)
            .values(chat_id=chat_id, seen_language=language)
            .on_conflict_do_update(
                index_elements=["chat_id"],
                set_={"seen_language": language},
                where=ChatSettings.seen_language.is_distinct_from(language),
            )
        )
        await self.session.execute(statement)

    async def claim_first_event(self, chat_id: int, link_id: str) -> bool:
        """Record ``link_id`` as the chat's first event made before it chose a timezone, if it is;
        False when the chat chose one, or already had its first event."""
        statement = (
            _insert(self.session)(ChatSettings)
            .values(chat_id=chat_id, first_event_link=link_id)
            .on_conflict_do_update(
                index_elements=["chat_id"],
                set_={"first_event_link": link_id},
                where=ChatSettings.timezone.is_(None) & ChatSettings.first_event_link.is_(None),
            )
            .returning(ChatSettings.chat_id)
        )
        return (await self.session.execute(statement)).first() is not None


class AttemptRepository:
    """Wrong-code counters per (event, user); user 0 counts everyone's attempts at an event."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def locked_until(self, event_id: int, user_id: int) -> datetime | None:
        """Until when this counter locks guessing out (locking the counter row until commit)."""
        query = (
            select(CodeAttempt.locked_until)
            .where(CodeAttempt.event_id == event_id, CodeAttempt.user_id == user_id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def count(self, event_id: int, user_id: int, *, now: datetime) -> int:
        """Count one more attempt, atomically (two first attempts at once both count); return the total."""
        statement = _insert(self.session)(CodeAttempt).values(
            event_id=event_id, user_id=user_id, failures=1, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=["event_id", "user_id"],
            set_={"failures": CodeAttempt.failures + 1, "updated_at": now},
        ).returning(CodeAttempt.failures)
        return int((await self.session.execute(statement)).scalar_one())

    async def lock(self, event_id: int, user_id: int, *, until: datetime) -> None:
        await self.session.execute(
            update(CodeAttempt)
            .where(CodeAttempt.event_id == event_id, CodeAttempt.user_id == user_id)
            .values(locked_until=until)
        )

    async def clear(self, event_id: int, user_id: int) -> None:
        await self.session.execute(
            delete(CodeAttempt).where(CodeAttempt.event_id == event_id, CodeAttempt.user_id == user_id)
        )


class UnlockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def grant(self, event_id: int, user_id: int, *, code_version: int, expires_at: datetime) -> None:
        """Let ``user_id`` manage the event until ``expires_at``, for this version of its code."""
        statement = _insert(self.session)(Unlock).values(
            event_id=event_id, user_id=user_id, code_version=code_version, expires_at=expires_at
        )
        statement = statement.on_conflict_do_update(
            index_elements=["event_id", "user_id"],
            set_={"code_version": code_version, "expires_at": expires_at},
        )
        await self.session.execute(statement)

    async def holders(self, event_ids: set[int], now: datetime) -> set[tuple[int, int]]:
        """(event, user) pairs of unlocks still good for each event's current code."""
        if not event_ids:
            return set()
        query = (
            select(Unlock.event_id, Unlock.user_id)
            .join(Event, Event.id == Unlock.event_id)
            .where(
                Unlock.event_id.in_(event_ids),
                Unlock.code_version == Event.code_version,
                Unlock.expires_at > now,
            )
        )
        return {(event_id, user_id) for event_id, user_id in (await self.session.execute(query)).all()}

    async def holds(self, event_id: int, user_id: int, *, code_version: int, now: datetime) -> bool:
        query = select(Unlock.event_id).where(
            Unlock.event_id == event_id,
            Unlock.user_id == user_id,
            Unlock.code_version == code_version,
            Unlock.expires_at > now,
        )
        return (await self.session.execute(query)).first() is not None

    async def end_all(self, event_id: int) -> None:
        await self.session.execute(delete(Unlock).where(Unlock.event_id == event_id))


class FlowRepository:
    """Where people are in guided flows (the ``conversations`` table)."""

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

    async def answers(self, event_id: int) -> list[Answer]:
        """Every answer to the event, in the order given (the waitlist's order)."""
        query = (
            select(Rsvp.user_id, Rsvp.name, Rsvp.status, Rsvp.guests)
            .where(Rsvp.event_id == event_id)
            .order_by(Rsvp.responded_at, Rsvp.id)
        )
        return [Answer(*row) for row in (await self.session.execute(query)).all()]

    async def answers_of(self, event_ids: set[int]) -> dict[int, list[Answer]]:
        """Every answer to each of the events, each list in the order given."""
        found: dict[int, list[Answer]] = {}
        if not event_ids:
            return found
        query = (
            select(Rsvp.event_id, Rsvp.user_id, Rsvp.name, Rsvp.status, Rsvp.guests)
            .where(Rsvp.event_id.in_(event_ids))
            .order_by(Rsvp.event_id, Rsvp.responded_at, Rsvp.id)
        )
        for event_id, user_id, name, status, guests in (await self.session.execute(query)).all():
            found.setdefault(event_id, []).append(Answer(user_id, name, status, guests))
        return found

    async def archive(self, event_ids: Sequence[int]) -> None:
        """Move the events' answers into the history of the date they were for: the date each event
        shows now (call it before moving the events on)."""
        if not event_ids:
            return
        source = (
            select(
                Rsvp.event_id,
                Event.starts_at,
                Rsvp.user_id,
                Rsvp.name,
                Rsvp.status,
                Rsvp.guests,
                Rsvp.responded_at,
            )
            .join(Event, Event.id == Rsvp.event_id)
            .where(Rsvp.event_id.in_(event_ids))
        )
        columns = ["event_id", "occurrence_start", "user_id", "name", "status", "guests", "responded_at"]
        await self.session.execute(insert(PastAnswer).from_select(columns, source))
        await self.session.execute(delete(Rsvp).where(Rsvp.event_id.in_(event_ids)))

    async def past_answers(self, event_id: int) -> list[tuple[datetime, Answer]]:
        query = (
            select(PastAnswer)
            .where(PastAnswer.event_id == event_id)
            .order_by(PastAnswer.occurrence_start, PastAnswer.responded_at, PastAnswer.id)
        )
        return [
            (row.occurrence_start, Answer(row.user_id, row.name, row.status, row.guests))
            for row in (await self.session.scalars(query)).all()
        ]

    async def answer_rows(self, event_id: int) -> list[tuple[Answer, datetime]]:
        """Every answer with when it was given, in that order."""
        query = (
            select(Rsvp.user_id, Rsvp.name, Rsvp.status, Rsvp.guests, Rsvp.responded_at)
            .where(Rsvp.event_id == event_id)
            .order_by(Rsvp.responded_at, Rsvp.id)
        )
        return [(Answer(u, n, s, g), at) for u, n, s, g, at in (await self.session.execute(query)).all()]

    async def get(self, event_id: int, user_id: int) -> Rsvp | None:
        query = select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.user_id == user_id)
        return (await self.session.scalars(query)).one_or_none()

    async def add(self, rsvp: Rsvp) -> None:
        self.session.add(rsvp)
        await self.session.flush()

    async def seats_taken(self, event_id: int, *, except_user: int | None = None) -> int:
        """Seats the people going take, guests included (leaving ``except_user`` out)."""
        query = select(func.coalesce(func.sum(1 + Rsvp.guests), 0)).where(
            Rsvp.event_id == event_id, Rsvp.status == GOING
        )
        if except_user is not None:
            query = query.where(Rsvp.user_id != except_user)
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

    async def replace_pending(
        self, event_ids: Sequence[int], reminders: list[Reminder], *, new: bool = False
    ) -> None:
        """Replace the events' pending reminders (a new event has none to delete)."""
        if not new and event_ids:
            await self.session.execute(
                delete(Reminder).where(Reminder.event_id.in_(event_ids), Reminder.state == "pending")
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

    async def add_delivery(self, reminder_id: int, chat_id: int) -> bool:
        """Record a recipient; False when this reminder already went (or is going) to them.

        One statement that skips a duplicate, so two processes recording the same recipient at the same
        moment both finish: one with True, the other with False.
        """
        statement = (
            _insert(self.session)(ReminderDelivery)
            .values(reminder_id=reminder_id, chat_id=chat_id)
            .on_conflict_do_nothing()
        )
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

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
