"""Repositories: they add, find and flush; committing is the unit of work's job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.models import ChatSettings, CodeAttempt, CodeClaim, Conversation, Event, PostedCard


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

    async def add(self, card: PostedCard) -> None:
        self.session.add(card)
        await self.session.flush()

    async def for_event(self, event_id: int) -> Sequence[PostedCard]:
        query = select(PostedCard).where(PostedCard.event_id == event_id).order_by(PostedCard.id)
        return (await self.session.scalars(query)).all()

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
