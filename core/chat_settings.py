"""Per-chat settings: the timezone new events use (a private chat's is its person's), who may create
events in a group, and the chat's first event made before anyone chose a timezone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core import dates
from core.clock import now_or
from core.events import EventView
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import event_view

ANYONE, ADMINS = "anyone", "admins"


@dataclass(frozen=True, slots=True)
class ChatSetup:
    """What a new event in the chat starts from."""

    timezone: str  # the zone its times are read in
    chosen: bool  # the chat chose it; False: the bot's default, which the first card then names
    admins_only: bool  # only the group's admins may create events


async def chat_timezone(uow: SqlAlchemyUnitOfWork, chat_id: int, default: str) -> str:
    """The timezone a chat (or a user, for a private chat) has chosen, else ``default``."""
    async with uow.single_statement():
        return await uow.settings.timezone_of(chat_id) or default


async def setup_for_new_event(uow: SqlAlchemyUnitOfWork, chat_id: int, default: str) -> ChatSetup:
    async with uow.single_statement():
        settings = await uow.settings.get(chat_id)
        if settings is None:
            return ChatSetup(default, chosen=False, admins_only=False)
        return ChatSetup(
            settings.timezone or default, settings.timezone is not None, settings.creators == ADMINS
        )


@dataclass(frozen=True, slots=True)
class ZoneSet:
    timezone: str
    # The chat's first event, made in the zone it had before (the default), if it is still ahead: its
    # organisers may want it at the same clock time in the new zone, or at the same instant.
    first_event: EventView | None


async def set_chat_timezone(
    uow: SqlAlchemyUnitOfWork, chat_id: int, text: str, *, now: datetime | None = None
) -> ZoneSet:
    """Set a chat's timezone from an IANA name or a city."""
    timezone = dates.resolve_timezone(text)
    now = now_or(now)
    async with uow:
        settings = await uow.settings.get(chat_id)
        first = settings.first_event_link if settings is not None and settings.timezone is None else None
        await uow.settings.set_timezone(chat_id, timezone)
        event = await uow.events.get_by_link(first) if first else None
        offer = (
            event_view(event)
            if event is not None
            and event.cancelled_at is None
            and event.starts_at > now
            and event.timezone != timezone
            else None
        )
        await uow.commit()
    return ZoneSet(timezone, offer)


async def set_creators(uow: SqlAlchemyUnitOfWork, chat_id: int, *, admins_only: bool) -> None:
    """Who may create events in this group (the caller checked the person is one of its admins)."""
    async with uow:
        await uow.settings.set_creators(chat_id, ADMINS if admins_only else ANYONE)
        await uow.commit()


async def chat_languages(
    uow: SqlAlchemyUnitOfWork, chat_ids: Sequence[int]
) -> dict[int, tuple[str | None, str | None]]:
    """For each chat that has settings: the language it chose, and (a private chat) the language its
    person's Telegram app was last seen in. One statement for any number of chats."""
    async with uow.single_statement():
        return await uow.settings.languages_of(chat_ids)


async def chosen_languages(
    uow: SqlAlchemyUnitOfWork, since: datetime | None = None
) -> list[tuple[int, str, datetime]]:
    """(chat, language, when) of every language chosen after ``since``, or of all of them."""
    async with uow.single_statement():
        return await uow.settings.chosen_languages(since)


async def set_chat_language(
    uow: SqlAlchemyUnitOfWork, chat_id: int, language: str, *, now: datetime | None = None
) -> None:
    """The language a chat reads (a group's admins chose it; a person, for their private chat)."""
    async with uow:
        await uow.settings.set_language(chat_id, language, now_or(now))
        await uow.commit()


async def remember_seen_language(uow: SqlAlchemyUnitOfWork, user_id: int, language: str) -> None:
    """A person's Telegram language, for what the bot sends them unasked (reminders, notices)."""
    async with uow:
        await uow.settings.set_seen_language(user_id, language)
        await uow.commit()
