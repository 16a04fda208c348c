"""Per-chat settings: the timezone new events in a chat use (a private chat's is its person's)."""

from __future__ import annotations

from core import dates
from core.storage.uow import SqlAlchemyUnitOfWork


async def chat_timezone(uow: SqlAlchemyUnitOfWork, chat_id: int, default: str) -> str:
    """The timezone a chat (or a user, for a private chat) has chosen, else ``default``."""
    async with uow.single_statement():
        return await uow.settings.timezone_of(chat_id) or default


async def set_chat_timezone(uow: SqlAlchemyUnitOfWork, chat_id: int, text: str) -> str:
    """Set a chat's timezone from an IANA name or a city; return the IANA name chosen."""
    timezone = dates.resolve_timezone(text)
    async with uow:
        await uow.settings.set_timezone(chat_id, timezone)
        await uow.commit()
    return timezone
