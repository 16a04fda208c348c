"""Event cards the bot posted: where each copy is, so that later changes reach every one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import access
from core.clock import now_or, utcnow
from core.service import PUBLISH_LEASE
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import CardRecord


@dataclass(frozen=True, slots=True)
class CardRef:
    chat_id: int | None
    message_id: int | None
    inline_message_id: str | None


async def record_card(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
    inline_message_id: str | None = None,
    version: int = 0,
) -> None:
    """Remember a message that shows an event's card (at ``version``), so later changes reach it."""
    await uow.record_card(CardRecord(link_id, chat_id, message_id, inline_message_id, utcnow(), version))


@dataclass(frozen=True, slots=True)
class Publication:
    """What a repeated request to create an event should do about its card in one chat."""

    post: bool  # this caller now holds the lease: post the card (and offer the code)
    wait: float = 0.0  # seconds until another holder's lease ends; 0 with post=False: already posted


async def claim_publication(
    uow: SqlAlchemyUnitOfWork, link_id: str, chat_id: int, *, now: datetime | None = None
) -> Publication:
    """For a repeated create: post the card only if nobody has, and nobody is about to."""
    now = now_or(now)
    async with uow:
        event = await access.find_event(uow, link_id, for_update=True)
        if any(card.chat_id == chat_id for card in await uow.cards.for_event(event.id)):
            return Publication(post=False)
        if event.publishing_until is not None and event.publishing_until > now:
            return Publication(post=False, wait=(event.publishing_until - now).total_seconds())
        await uow.events.set_publishing_until(event.id, now + PUBLISH_LEASE)
        await uow.commit()
        return Publication(post=True)


async def posted_cards(uow: SqlAlchemyUnitOfWork, link_id: str) -> list[CardRef]:
    """Every message known to show this event's card."""
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
