"""Going / Maybe / Can't go buttons on every card, wherever it was posted."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot import i18n, keyboards, texts
from bot.context import SkedjitContext
from bot.timefmt import format_when
from bot.wire import NO_PREVIEW
from core import attendance
from core.errors import AnswersClosed
from core.events import Headline

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
    # Every callback query must be answered, or the user's client shows a spinner for a while.
    await query.answer(texts.RSVP_ANSWERED[outcome.status].format(position=outcome.position))
    # A card shared inline is tracked from the result that was chosen (inline feedback), never from a
    # tap: a tap's data could name any event, and must not rebind someone's card to it.
    data.card_sync.kick()
    for person in outcome.promoted:
        await tell_promoted(context, person.user_id, outcome.event)


async def on_guest(update: Update, context: SkedjitContext) -> None:
    """One more guest with the person who tapped, up to the event's limit, then back to none."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    callback = keyboards.decode_callback(query.data)
    assert callback.link_id is not None
    data = context.bot_data
    outcome = await attendance.bring_one_more(data.uow(), callback.link_id, user_id=user.id)
    guests = outcome.guests
    await query.answer(texts.guests_now(guests))
    data.card_sync.kick()
    for person in outcome.promoted:
        await tell_promoted(context, person.user_id, outcome.event)


async def on_closed(update: Update, context: SkedjitContext) -> None:
    """Says answers are closed, for the button that stands where the answers were."""
    assert update.callback_query is not None
    await update.callback_query.answer(texts.describe_error(AnswersClosed()), show_alert=True)


async def tell_promoted(context: SkedjitContext, user_id: int, event: Headline) -> None:
    data = context.bot_data
    with i18n.use((await data.languages.of_chats(data, [user_id]))[user_id]):
        text = texts.PROMOTED.format(
            title=texts.esc(event.title),
            when=texts.esc(format_when(event.starts_at, event.timezone)),
            link=texts.deep_link(data.bot_username, event.link_id),
        )
    try:
        await context.bot.send_message(user_id, text, parse_mode="HTML", link_preview_options=NO_PREVIEW)
    except TelegramError as exc:
        # They never opened the bot, or blocked it: the card still shows them as going.
        log.info("could not tell a promoted user: %s", exc)
