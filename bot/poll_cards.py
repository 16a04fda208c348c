"""A poll's card: its text and voting buttons, and what its cards show once it is decided."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup, Message

from bot import keyboards, poll_texts
from bot.cards import remember
from bot.wire import NO_PREVIEW
from core.clock import utcnow
from core.events import EventView
from core.polls import PollView

if TYPE_CHECKING:
    from bot.context import BotData


def render_poll(
    data: BotData, poll: PollView, *, private: bool = False, viewer_timezone: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The poll's card; voting buttons while it takes votes."""
    event = poll.event
    voting = event.is_poll and not event.is_cancelled and poll.closes_at > utcnow()
    text = poll_texts.poll_card(poll, data.bot_username, all_names=private, viewer_timezone=viewer_timezone)
    options = tuple(
        (o.id, f"{o.position}. {poll_texts.option_label(o, event.timezone)}") for o in poll.options
    )
    return text, keyboards.poll_keyboard(data.bot_username, event.link_id, options, voting=voting)


def render_decided(data: BotData, event: EventView) -> tuple[str, InlineKeyboardMarkup | None]:
    """A poll's own card once decided (or deleted): the decision, no buttons."""
    return poll_texts.decided_card(event, data.bot_username), None


async def reply_poll_card(
    message: Message, data: BotData, poll: PollView, *, viewer_timezone: str | None = None
) -> Message:
    """Answer ``message`` with the poll's card and remember it, so votes and changes reach it."""
    text, markup = render_poll(
        data, poll, private=message.chat.type == "private", viewer_timezone=viewer_timezone
    )
    sent = await message.reply_html(
        text, reply_markup=markup, link_preview_options=NO_PREVIEW, do_quote=False
    )
    await remember(data, poll.event, sent)
    return sent
