"""Posting an event's card and remembering where it went (``bot.card_sync`` keeps the copies current)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup, Message

from bot import keyboards, texts
from bot.wire import NO_PREVIEW
from core import cards as card_records
from core.clock import utcnow
from core.events import EventView

if TYPE_CHECKING:
    from bot.context import BotData


def render(
    data: BotData,
    event: EventView,
    *,
    viewer_timezone: str | None = None,
    private: bool = False,
    show_names: bool = True,
    zone_hint: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    """The card's text and buttons. ``show_names`` False: counts only (a hidden list, for someone who
    may not manage the event)."""
    text = texts.card(
        event,
        data.bot_username,
        viewer_timezone=viewer_timezone,
        all_names=private,
        show_names=show_names or not event.hide_names,
        zone_hint=zone_hint,
    )
    markup = keyboards.card_keyboard(
        data.bot_username,
        event.link_id,
        cancelled=event.is_cancelled,
        closed=answers_closed(event),
        guests=event.max_guests > 0,
    )
    return text, markup


def answers_closed(event: EventView) -> bool:
    """Whether answers are closed now (the deadline, or the start, passed; the cards may lag a little)."""
    return event.answers_closed or event.closes_at <= utcnow()


async def reply_card(
    message: Message,
    data: BotData,
    event: EventView,
    *,
    viewer_timezone: str | None = None,
    show_names: bool = False,
    zone_hint: bool = False,
) -> Message:
    """Answer ``message`` with the event's card and remember the card, so later changes reach it."""
    private = message.chat.type == "private"
    text, markup = render(
        data,
        event,
        viewer_timezone=viewer_timezone,
        private=private,
        show_names=show_names,
        zone_hint=zone_hint,
    )
    sent = await message.reply_html(
        text, reply_markup=markup, link_preview_options=NO_PREVIEW, do_quote=False
    )
    await remember(data, event, sent)
    return sent


async def remember(data: BotData, event: EventView, sent: Message) -> None:
    """Record a card of ``event`` just sent as ``sent``, at the version it shows, so the card sync
    brings it up to date with every later change."""
    await card_records.record_card(
        data.uow(),
        event.link_id,
        chat_id=sent.chat_id,
        message_id=sent.message_id,
        version=event.card_version,
    )
