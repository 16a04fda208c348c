"""Per-chat settings, and where a person is in a guided flow in a chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import dates
from core.service import CONVERSATION_TTL, UNLOCKED_KEY, current_time
from core.storage.models import ChatSettings, Conversation
from core.storage.uow import SqlAlchemyUnitOfWork


async def chat_timezone(uow: SqlAlchemyUnitOfWork, chat_id: int, default: str) -> str:
    """Return the timezone a chat (or a user, for a private chat) has chosen, else ``default``."""
    async with uow.single_statement():
        settings = await uow.settings.get(chat_id)
        return settings.timezone if settings and settings.timezone else default


async def set_chat_timezone(uow: SqlAlchemyUnitOfWork, chat_id: int, text: str) -> str:
    """Set a chat's timezone from an IANA name or a city; return the IANA name chosen."""
    timezone = dates.resolve_timezone(text)
    async with uow:
        settings = await uow.settings.get(chat_id)
        if settings is None:
            await uow.settings.add(ChatSettings(chat_id=chat_id, timezone=timezone))
        else:
            settings.timezone = timezone
        await uow.commit()
    return timezone


@dataclass(frozen=True, slots=True)
class ConversationState:
    step: str
    data: dict[str, object]


async def get_conversation(
    uow: SqlAlchemyUnitOfWork, chat_id: int, user_id: int, *, now: datetime | None = None
) -> ConversationState | None:
    """Return where a user is in a guided flow in this chat, if anywhere (expired flows are dropped)."""
    async with uow:
        row = await uow.conversations.get(chat_id, user_id)
        if row is None or row.expires_at <= current_time(now) or not row.step:
            return None
        return ConversationState(row.step, {k: v for k, v in row.data.items() if k != UNLOCKED_KEY})


async def save_conversation(
    uow: SqlAlchemyUnitOfWork,
    chat_id: int,
    user_id: int,
    step: str,
    data: dict[str, object],
    *,
    now: datetime | None = None,
) -> None:
    """Store a user's place in a guided flow."""
    expires_at = current_time(now) + CONVERSATION_TTL
    async with uow:
        row = await uow.conversations.get(chat_id, user_id)
        if row is not None and UNLOCKED_KEY in row.data and UNLOCKED_KEY not in data:
            data = {**data, UNLOCKED_KEY: row.data[UNLOCKED_KEY]}
        if row is None:
            await uow.conversations.add(
                Conversation(chat_id=chat_id, user_id=user_id, step=step, data=data, expires_at=expires_at)
            )
        else:
            row.step, row.data, row.expires_at = step, data, expires_at
        await uow.commit()


async def take_conversation(
    uow: SqlAlchemyUnitOfWork, chat_id: int, user_id: int, step: str, *, now: datetime | None = None
) -> ConversationState | None:
    """End the flow if it is at ``step`` and return its state; of two racing callers only one gets it."""
    async with uow:
        row = await uow.conversations.get(chat_id, user_id, for_update=True)
        if row is None or row.step != step or row.expires_at <= current_time(now):
            return None
        state = ConversationState(row.step, {k: v for k, v in row.data.items() if k != UNLOCKED_KEY})
        row.step = ""
        row.data = {k: v for k, v in row.data.items() if k == UNLOCKED_KEY}
        await uow.commit()
        return state


async def end_conversation(uow: SqlAlchemyUnitOfWork, chat_id: int, user_id: int) -> None:
    """Leave the guided flow; an unlocked event stays unlocked until it expires."""
    async with uow:
        row = await uow.conversations.get(chat_id, user_id)
        if row is None:
            return
        if UNLOCKED_KEY in row.data:
            row.step = ""
            row.data = {UNLOCKED_KEY: row.data[UNLOCKED_KEY]}
        else:
            await uow.conversations.remove(chat_id, user_id)
        await uow.commit()
