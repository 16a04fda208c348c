"""Inline sharing: ``@bot LINK`` offers that event's card in any chat, ``@bot`` alone the user's own."""

from __future__ import annotations

import logging

from telegram import InlineQueryResultArticle, InlineQueryResultsButton, InputTextMessageContent, Update

from bot import cards, i18n, poll_texts, texts
from bot.context import SkedjitContext
from bot.handlers.common import extract_link
from bot.keyboards import NEW_PAYLOAD
from bot.poll_cards import render_poll
from bot.timefmt import format_when
from bot.wire import NO_PREVIEW
from core import cards as card_records
from core import polls, service
from core.errors import EventNotFound
from core.events import EventView

log = logging.getLogger(__name__)


def _result(context: SkedjitContext, event: EventView) -> InlineQueryResultArticle:
    text, markup = cards.render(context.bot_data, event)
    return InlineQueryResultArticle(
        id=event.link_id,
        title=event.title,
        description=format_when(event.starts_at, event.timezone),
        input_message_content=InputTextMessageContent(
            text, parse_mode="HTML", link_preview_options=NO_PREVIEW
        ),
        reply_markup=markup,
    )


async def _poll_result(context: SkedjitContext, event: EventView) -> InlineQueryResultArticle:
    """A poll shared inline: its card with the voting buttons."""
    poll = await polls.view_poll(context.bot_data.uow(), event.link_id)
    text, markup = render_poll(context.bot_data, poll)
    return InlineQueryResultArticle(
        id=event.link_id,
        title=event.title,
        description=poll_texts.inline_description(len(poll.options)),
        input_message_content=InputTextMessageContent(
            text, parse_mode="HTML", link_preview_options=NO_PREVIEW
        ),
        reply_markup=markup,
    )


async def on_inline_query(update: Update, context: SkedjitContext) -> None:
    """Offers event cards to send into whatever chat the user is typing in."""
    query = update.inline_query
    assert query is not None
    data = context.bot_data
    link = extract_link(query.query) if query.query.strip() else None
    events: list[EventView] = []
    if link is not None:
        try:
            event = await service.get_event(data.uow(), link)
        except EventNotFound:
            event = None
        if event is not None and not event.is_cancelled:
            events = [event]
    elif not query.query.strip():
        events = await service.list_user_events(data.uow(), query.from_user.id, limit=20)
    # Personal results (the user's own events) must not be cached for everyone typing the same text.
    await query.answer(
        [
            await _poll_result(context, event) if event.is_poll else _result(context, event)
            for event in events
        ],
        cache_time=5,
        is_personal=True,
        button=None
        if events
        else InlineQueryResultsButton(texts.INLINE_CREATE_HINT, start_parameter=NEW_PAYLOAD),
    )


async def on_chosen_inline_result(update: Update, context: SkedjitContext) -> None:
    """Remembers a card sent inline, so edits reach it (needs inline feedback on in @BotFather)."""
    chosen = update.chosen_inline_result
    if chosen is None or chosen.inline_message_id is None:
        return
    link = extract_link(chosen.result_id)
    if link is not None:
        await card_records.record_card(
            context.bot_data.uow(), link, inline_message_id=chosen.inline_message_id, language=i18n.current()
        )
