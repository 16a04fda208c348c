"""Who reads which language: a group its chat's choice (else ``DEFAULT_LANGUAGE``); a person their own
choice, else their Telegram app's language.

Choices live in the database (``chat_settings.language``), and every process keeps all of them in
memory: it reads them at start-up and then, every few seconds, the ones made since (``refresh``). So an
update learns its language with no query, and a choice made through another process reaches this one
within a heartbeat; one made through this process, at once.

A person's Telegram language is stored too (``seen_language``), for what the bot sends them unasked
(reminders, a freed seat): only when it is not the default, and once per process and person.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from telegram import Chat, Update

from bot import i18n
from core import chat_settings
from core.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from bot.context import BotData

log = logging.getLogger(__name__)

# Choices committed a little before the newest one read may become visible after it: look back so far.
REFRESH_OVERLAP = timedelta(minutes=2)
SEEN_REMEMBERED = 100_000  # people whose Telegram language this process stored, before it forgets


class ChatLanguages:
    """Every chat's chosen language, and what this process stored of people's Telegram languages."""

    def __init__(self) -> None:
        self._chosen: dict[int, str] = {}
        self._newest: datetime | None = None
        self._seen: dict[int, str] = {}

    async def refresh(self, data: BotData) -> None:
        """Read the choices made since the last look (all of them the first time)."""
        since = self._newest - REFRESH_OVERLAP if self._newest is not None else None
        for chat_id, language, at in await chat_settings.chosen_languages(data.uow(), since):
            if (code := i18n.normalize(language)) is not None:
                self._chosen[chat_id] = code
            if self._newest is None or at > self._newest:
                self._newest = at

    def chosen(self, chat_id: int, language: str) -> None:
        """This process just stored a chat's choice: use it from now on."""
        self._chosen[chat_id] = language

    def of_chat(self, chat_id: int) -> str | None:
        return self._chosen.get(chat_id)

    async def of_update(self, data: BotData, update: Update) -> str:
        """The language to answer ``update`` in (no query); remembers a person's Telegram language."""
        chat, user = update.effective_chat, update.effective_user
        if chat is not None and chat.type != Chat.PRIVATE:
            return self._chosen.get(chat.id) or i18n.default()
        if user is None:
            return i18n.default()
        telegram_language = i18n.normalize(user.language_code)
        if telegram_language is not None and telegram_language != i18n.default():
            await self._remember_seen(data, user.id, telegram_language)
        return self._chosen.get(user.id) or telegram_language or i18n.default()

    async def _remember_seen(self, data: BotData, user_id: int, language: str) -> None:
        if self._seen.get(user_id) == language:
            return
        try:
            await chat_settings.remember_seen_language(data.uow(), user_id, language)
        except DatabaseUnavailable:
            return
        if len(self._seen) >= SEEN_REMEMBERED:
            self._seen.clear()
        self._seen[user_id] = language

    async def of_person(self, data: BotData, user_id: int, language_code: str | None = None) -> str:
        """A person's language, for a message to their private chat sent from elsewhere (a group)."""
        if (chosen := self._chosen.get(user_id)) is not None:
            return chosen
        if (code := i18n.normalize(language_code)) is not None:
            return code
        return (await self.of_chats(data, [user_id]))[user_id]

    async def of_chats(self, data: BotData, chat_ids: Iterable[int]) -> dict[int, str]:
        """The language of each chat, for messages sent there unasked (card edits, reminders, DMs): one
        query at most, for people who chose nothing (their Telegram language as last stored)."""
        found: dict[int, str] = {}
        people = []
        for chat_id in set(chat_ids):
            chosen = self._chosen.get(chat_id)
            if chosen is not None or chat_id < 0:
                found[chat_id] = chosen or i18n.default()
            else:
                people.append(chat_id)
        stored: dict[int, tuple[str | None, str | None]] = {}
        if people:
            try:
                stored = await chat_settings.chat_languages(data.uow(), people)
            except DatabaseUnavailable:
                pass  # the default language, rather than no message
        for person in people:
            chosen, seen = stored.get(person, (None, None))
            found[person] = i18n.normalize(chosen) or i18n.normalize(seen) or i18n.default()
        return found


async def set_update_language(update: object, context: object) -> None:
    """Answers every update in its reader's language (a TypeHandler that runs before all others)."""
    if not isinstance(update, Update):
        return
    data: BotData = context.bot_data  # type: ignore[attr-defined]
    i18n.set_language(await data.languages.of_update(data, update))
