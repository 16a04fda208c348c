"""/start (plain and deep links) and /help."""

from __future__ import annotations

from telegram import Update

from bot import cards, keyboards, poll_texts, texts
from bot.context import SkedjitContext
from bot.handlers import calendar, create, manage, polls
from bot.handlers.common import extract_link, is_private, reply
from bot.handlers.steps import Then
from core import claims, service


async def help_command(update: Update, context: SkedjitContext) -> None:
    """Explains how to create, share, edit and delete events."""
    if is_private(update):
        await reply(update, texts.help_text() + poll_texts.help_line())
    else:
        await reply(
            update,
            texts.help_text() + poll_texts.help_line() + texts.HELP_GROUP_EXTRA,
            keyboards.add_to_group(context.bot_data.bot_username),
        )


async def start(update: Update, context: SkedjitContext) -> None:
    """Greets, or acts on the deep-link payload a tap on a t.me link carries."""
    payload = context.args[0] if context.args else ""
    if not payload or not is_private(update):
        await help_command(update, context)
        return
    if payload.startswith(keyboards.CLAIM_PREFIX):
        await _claim(update, context, payload.removeprefix(keyboards.CLAIM_PREFIX))
    elif payload.startswith(keyboards.MANAGE_PREFIX) and (link := extract_link(payload[2:])):
        await manage.open_menu(update, context, link, then=Then.MENU)
    elif payload.startswith(keyboards.CALENDAR_PREFIX) and (link := extract_link(payload[4:])):
        await calendar.send_calendar(update, context, link)
    elif payload == keyboards.NEW_PAYLOAD:
        await create.start_wizard(update, context)
    elif link := extract_link(payload):
        await show_event(update, context, link)
    else:
        await reply(update, texts.NO_SUCH_EVENT)


async def show_event(update: Update, context: SkedjitContext, link: str) -> None:
    data = context.bot_data
    # In a private chat the viewer's own zone comes with the event, in the same read.
    viewer = update.effective_user.id if is_private(update) and update.effective_user else None
    event, viewer_zone, unlocked = await service.view_event(data.uow(), link, viewer_chat_id=viewer)
    if event.is_poll:
        own_zone = (viewer_zone or data.settings.default_timezone) if viewer is not None else None
        await polls.show_poll(update, context, link, viewer_timezone=own_zone)
        return
    if viewer is not None and viewer_zone is None:
        viewer_zone = data.settings.default_timezone
    # A hidden list shows in a private chat to whoever may manage the event; to anyone else, counts.
    manager = viewer is not None and (unlocked or viewer == event.creator_user_id)
    assert update.effective_message is not None
    await cards.reply_card(
        update.effective_message, data, event, viewer_timezone=viewer_zone, show_names=manager
    )


async def _claim(update: Update, context: SkedjitContext, token: str) -> None:
    assert update.effective_user is not None
    data = context.bot_data
    claimed = await claims.redeem_claim(
        data.uow(), token, update.effective_user.id, rounds=data.settings.bcrypt_rounds
    )
    await reply(update, texts.CLAIMED)
    await reply(update, texts.code_dm(claimed.event, claimed.secret_code))


async def event_command(update: Update, context: SkedjitContext) -> None:
    """Shows an event's card, given its link id or a pasted deep link."""
    link = extract_link(context.args[0]) if context.args else None
    if not context.args:
        await reply(update, texts.EVENT_USAGE)
    elif link is None:
        await reply(update, texts.NO_SUCH_EVENT)
    else:
        await show_event(update, context, link)
