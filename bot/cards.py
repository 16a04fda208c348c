"""Posting an event's card and remembering where it went (``bot.card_sync`` keeps the copies current)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.wire import NO_PREVIEW
from core import cards as card_records
from core.events import EventView

if TYPE_CHECKING:
    from bot.context import BotData


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
        data.uow(),
        event.link_id,
        chat_id=sent.chat_id,
        message_id=sent.message_id,
        version=event.card_version,
    )
    return sent
