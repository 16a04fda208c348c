"""Who reads which language: a group its chat's choice (else ``DEFAULT_LANGUAGE``); a person their own
choice, else their Telegram app's language.

Choices live in the database (``chat_settings.language``). Each process keeps what it read for a short
while, so a view costs no query for its language; a choice made through another process reaches this
one within ``CACHE_SECONDS``, and one made through this process at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from telegram import Chat, Update

from bot import i18n
from core import chat_settings
from core.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from bot.context import BotData

log = logging.getLogger(__name__)

CACHE_SECONDS = 30.0
CACHE_SIZE = 50_000


class ChatLanguages:
    """What each chat chose (and, for a private chat, its person's Telegram language as last seen)."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[float, str | None, str | None]] = {}

    def _fresh(self, chat_id: int, now: float) -> tuple[str | None, str | None] | None:
        entry = self._known.get(chat_id)
        if entry is None or entry[0] < now:
            return None
        return entry[1], entry[2]

    def _keep(self, chat_id: int, chosen: str | None, seen: str | None, now: float) -> None:
        if len(self._known) >= CACHE_SIZE:
            self._known.clear()
        self._known[chat_id] = (now + CACHE_SECONDS, chosen, seen)

    async def _load(self, data: BotData, chat_ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
        now = time.monotonic()
        found: dict[int, tuple[str | None, str | None]] = {}
        missing = []
        for chat_id in set(chat_ids):
            known = self._fresh(chat_id, now)
            if known is None:
                missing.append(chat_id)
            else:
                found[chat_id] = known
        if missing:
            try:
                stored = await chat_settings.chat_languages(data.uow(), missing)
            except DatabaseUnavailable:
                stored = {}  # the update goes on in the default language; the next one asks again
                now = 0.0
            for chat_id in missing:
                chosen, seen = stored.get(chat_id, (None, None))
                found[chat_id] = (chosen, seen)
                if now:
                    self._keep(chat_id, chosen, seen, now)
        return found

    async def of_chats(self, data: BotData, chat_ids: Iterable[int]) -> dict[int, str]:
        """The language of each chat, for messages sent there unasked (card edits, reminders, DMs)."""
        return {
            chat_id: i18n.normalize(chosen)
            or (i18n.normalize(seen) if chat_id > 0 else None)
            or i18n.default()
            for chat_id, (chosen, seen) in (await self._load(data, chat_ids)).items()
        }

    async def of_update(self, data: BotData, update: Update) -> str:
        """The language to answer ``update`` in; remembers a person's Telegram language when it changes."""
        chat, user = update.effective_chat, update.effective_user
        telegram_language = i18n.normalize(user.language_code) if user is not None else None
        if chat is not None and chat.type != Chat.PRIVATE:
            chosen, _ = (await self._load(data, [chat.id]))[chat.id]
            return i18n.normalize(chosen) or i18n.default()
        if user is None:
            return i18n.default()
        chosen, seen = (await self._load(data, [user.id]))[user.id]
        if telegram_language is not None and telegram_language != seen:
            await self._remember_seen(data, user.id, chosen, telegram_language)
        return i18n.normalize(chosen) or telegram_language or i18n.default()

    async def _remember_seen(self, data: BotData, user_id: int, chosen: str | None, language: str) -> None:
        try:
            await chat_settings.remember_seen_language(data.uow(), user_id, language)
        except DatabaseUnavailable:
            return
        self._keep(user_id, chosen, language, time.monotonic())

    async def of_person(self, data: BotData, user_id: int, language_code: str | None = None) -> str:
        """A person's language, for a message to their private chat sent from elsewhere (a group)."""
        chosen, seen = (await self._load(data, [user_id]))[user_id]
        return (
            i18n.normalize(chosen) or i18n.normalize(language_code) or i18n.normalize(seen) or i18n.default()
        )

    def chosen(self, chat_id: int, language: str, seen: str | None = None) -> None:
        """This process just stored a chat's choice: use it from now on."""
        entry = self._known.get(chat_id)
        self._keep(
            chat_id, language, seen if seen is not None else (entry[2] if entry else None), time.monotonic()
        )


async def set_update_language(update: object, context: object) -> None:
    """Answers every update in its reader's language (a TypeHandler that runs before all others)."""
    if not isinstance(update, Update):
        return
    data: BotData = context.bot_data  # type: ignore[attr-defined]
    i18n.set_language(await data.languages.of_update(data, update))
