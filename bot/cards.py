"""Posting event cards, remembering where they are, and keeping every copy up to date."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot import keyboards, texts
from bot.wire import NO_PREVIEW
from core import cards as card_records
from core import service
from core.events import EventView

if TYPE_CHECKING:
    from bot.context import BotData

log = logging.getLogger(__name__)


def render(
    data: BotData, event: EventView, *, viewer_timezone: str | None = None, private: bool = False
) -> tuple[str, InlineKeyboardMarkup]:
    text = texts.card(event, data.bot_username, viewer_timezone=viewer_timezone, all_names=private)
    markup = keyboards.card_keyboard(data.bot_username, event.link_id, cancelled=event.is_cancelled)
    return text, markup


async def reply_card(
    message: Message, data: BotData, event: EventView, *, viewer_timezone: str | None = None
) -> Message:
    """Answer ``message`` with the event's card and remember the card, so later changes reach it."""
    private = message.chat.type == "private"
    text, markup = render(data, event, viewer_timezone=viewer_timezone, private=private)
    sent = await message.reply_html(
        text, reply_markup=markup, link_preview_options=NO_PREVIEW, do_quote=False
    )
    await card_records.record_card(
        data.uow(), event.link_id, chat_id=sent.chat_id, message_id=sent.message_id
    )
    return sent


REFRESH_ROUNDS = 3


async def refresh_cards(bot: Bot, data: BotData, link_id: str) -> int:
    """Edit every posted copy of the card to show the event as it is now; return how many changed.

    Another process may edit the same cards at the same moment from an older or newer reading, and
    the edit that lands last wins. So after a round the event is read again: if it changed meanwhile,
    this process edits once more, and the last edit to land always shows the latest state.
    """
    event = await service.get_event(data.uow(), link_id)
    changed = 0
    for _ in range(REFRESH_ROUNDS):
        changed += await _edit_all(bot, data, event)
        latest = await service.get_event(data.uow(), link_id)
        if latest == event:
            break
        event = latest
    return changed


async def _edit_all(bot: Bot, data: BotData, event: EventView) -> int:
    link_id = event.link_id
    changed = 0
    for card in await card_records.posted_cards(data.uow(), link_id):
        private = card.chat_id is not None and card.chat_id > 0
        text, markup = render(data, event, private=private)
        target = (
            {"inline_message_id": card.inline_message_id}
            if card.inline_message_id is not None
            else {"chat_id": card.chat_id, "message_id": card.message_id}
        )
        try:
            await bot.edit_message_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
                **target,
            )
            changed += 1
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                continue
            # The message was deleted, or is too old to edit: nothing left to keep in sync.
            log.info("forgetting a card of %s: %s", link_id, exc.message)
            await card_records.forget_card(data.uow(), card)
        except Forbidden as exc:
            log.info("forgetting a card of %s: %s", link_id, exc.message)
            await card_records.forget_card(data.uow(), card)
    return changed


def schedule_refresh(bot: Bot, data: BotData, link_id: str) -> None:
    data.refresher.request(link_id, lambda: refresh_cards(bot, data, link_id))


class CardRefresher:
    """Coalesces card updates per event: at most one edit round per ``interval`` seconds.

    The first change shows at once; changes during the pause are folded into one more round at its
    end, which reads the event afresh, so the last state is always the one shown. With the default
    3 s this keeps a busy card within Telegram's 20 messages a minute per group.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._running: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()

    def request(self, link_id: str, refresh: Callable[[], Awaitable[object]]) -> None:
        if link_id in self._running:
            self._dirty.add(link_id)
            return
        self._running[link_id] = asyncio.create_task(self._run(link_id, refresh))

    async def _run(self, link_id: str, refresh: Callable[[], Awaitable[object]]) -> None:
        try:
            while True:
                self._dirty.discard(link_id)
                try:
                    await refresh()
                except Exception:
                    log.exception("refreshing the cards of %s failed", link_id)
                await asyncio.sleep(self.interval)
                if link_id not in self._dirty:
                    return
        finally:
            del self._running[link_id]

    async def drain(self) -> None:
        """Wait until every pending refresh has run (tests, and graceful shutdown)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
