"""Going / Maybe / Can't go buttons on every card, wherever it was posted."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot import cards, keyboards, texts
from bot.context import SkedjitContext
from bot.wire import NO_PREVIEW
from core import attendance, dates, sharing
from core.events import WAITING, EventView

log = logging.getLogger(__name__)


async def on_rsvp(update: Update, context: SkedjitContext) -> None:
    """Records the tapper's answer, tells them, and updates the card everywhere (coalesced)."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    callback = keyboards.decode_callback(query.data)
    assert callback.link_id is not None and callback.answer is not None
    data = context.bot_data
    outcome = await attendance.respond(
        data.uow(), callback.link_id, user_id=user.id, name=user.full_name, answer=callback.answer
    )
    position = (
        1 + [a.user_id for a in outcome.event.rsvps.waiting].index(user.id)
        if outcome.status == WAITING
        else 0
    )
    # Every callback query must be answered, or the user's client shows a spinner for a while.
    await query.answer(texts.RSVP_ANSWERED[outcome.status].format(position=position))
    if query.inline_message_id is not None:
        # Cards shared inline are only discoverable when someone taps them (or via inline feedback).
        await sharing.record_card(data.uow(), callback.link_id, inline_message_id=query.inline_message_id)
    cards.schedule_refresh(context.bot, data, callback.link_id)
    for person in outcome.promoted:
        await tell_promoted(context, person.user_id, outcome.event)


async def tell_promoted(context: SkedjitContext, user_id: int, event: EventView) -> None:
    data = context.bot_data
    text = texts.PROMOTED.format(
        title=texts.esc(event.title),
        when=texts.esc(dates.format_when(event.starts_at, event.timezone)),
        link=texts.deep_link(data.bot_username, event.link_id),
    )
    try:
        await context.bot.send_message(user_id, text, parse_mode="HTML", link_preview_options=NO_PREVIEW)
    except TelegramError as exc:
        # They never opened the bot, or blocked it: the card still shows them as going.
        log.info("could not tell a promoted user: %s", exc)
