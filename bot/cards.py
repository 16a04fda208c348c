"""Posting event cards, remembering where they are, and keeping every copy up to date."""

from __future__ import annotations

import logging

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot import keyboards, texts
from bot.context import BotData
from core import service
from core.events import EventView

log = logging.getLogger(__name__)


def render(data: BotData, event: EventView, *, viewer_timezone: str | None = None) -> tuple[str, object]:
    text = texts.card(event, data.bot_username, viewer_timezone=viewer_timezone)
    markup = keyboards.card_keyboard(data.bot_username, event.link_id, cancelled=event.is_cancelled)
    return text, markup


async def reply_card(
    message: Message, data: BotData, event: EventView, *, viewer_timezone: str | None = None
) -> Message:
    """Answer ``message`` with the event's card and remember the card, so later changes reach it."""
    text, markup = render(data, event, viewer_timezone=viewer_timezone)
    sent = await message.reply_html(text, reply_markup=markup, disable_web_page_preview=True, do_quote=False)  # type: ignore[arg-type]
    await service.record_card(data.uow(), event.link_id, chat_id=sent.chat_id, message_id=sent.message_id)
    return sent


async def refresh_cards(bot: object, data: BotData, event: EventView) -> int:
    """Edit every posted copy of the card to show ``event`` as it is now; return how many changed."""
    text, markup = render(data, event)
    changed = 0
    for card in await service.posted_cards(data.uow(), event.link_id):
        try:
            if card.inline_message_id is not None:
                await bot.edit_message_text(  # type: ignore[attr-defined]
                    text,
                    inline_message_id=card.inline_message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    disable_web_page_preview=True,
                )
            else:
                await bot.edit_message_text(  # type: ignore[attr-defined]
                    text,
                    chat_id=card.chat_id,
                    message_id=card.message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    disable_web_page_preview=True,
                )
            changed += 1
        except BadRequest as exc:
            if "not modified" in exc.message:
                continue
            # The message was deleted, or is too old to edit: nothing left to keep in sync.
            log.info("forgetting card %s: %s", card, exc.message)
            await service.forget_card(data.uow(), card)
        except Forbidden as exc:
            log.info("forgetting card %s: %s", card, exc.message)
            await service.forget_card(data.uow(), card)
    return changed
