"""Gates every update passes before the command handlers see it."""

from __future__ import annotations

import logging
import time

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, filters

from bot import keyboards, texts
from bot.context import SkedjitContext
from bot.observe import record_outcome
from core import codes

log = logging.getLogger(__name__)


class _WithoutSender(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return message.from_user is None


class _WithSecretCode(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return message.text is not None and codes.find_secret_code(message.text) is not None


# Filters, so the (synchronous) check is all that most updates cost; the callbacks run only to act.
UNHANDLED_KINDS = (
    filters.UpdateType.EDITED
    | filters.UpdateType.CHANNEL_POSTS
    | (filters.UpdateType.MESSAGE & _WithoutSender())
)
CODES_IN_GROUPS = filters.UpdateType.MESSAGE & filters.ChatType.GROUPS & filters.TEXT & _WithSecretCode()


async def drop_unhandled_kind(update: Update, context: SkedjitContext) -> None:
    """Ignores edits, channel posts and messages without a sender, so nothing acts on them twice."""
    raise ApplicationHandlerStop


async def refuse_codes_in_groups(update: Update, context: SkedjitContext) -> None:
    """Never uses a secret code posted in a group: deletes the message if it can and says why."""
    message = update.effective_message
    assert message is not None  # CODES_IN_GROUPS matched a message
    try:
        deleted = await message.delete()
    except TelegramError as exc:
        # The bot may not be an admin with the right to delete; the warning matters more.
        log.info("could not delete a message with a code in chat %s: %s", message.chat_id, exc)
        deleted = False
    note = texts.CODE_IN_GROUP.format(deleted=texts.CODE_IN_GROUP_DELETED if deleted else "")
    await context.bot.send_message(message.chat_id, note, parse_mode="HTML")
    raise ApplicationHandlerStop


async def brake_floods(update: Update, context: SkedjitContext) -> None:
    """Drops commands from someone sending them too fast, telling them once."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not (message.text or "").startswith("/"):
        return
    guard = context.bot_data.flood_guard
    allowed, warn = guard.allow((message.chat_id, user.id), time.monotonic())
    if allowed:
        return
    record_outcome("flood")
    if warn:
        await message.reply_text(texts.FLOOD, do_quote=False)
    raise ApplicationHandlerStop


class ForeignButtonHandler(BaseHandler[Update, SkedjitContext, None]):
    """Matches a button press whose data is on no button of the message it came from.

    A modified client can send any callback data with any message. Telegram hands the bot its own copy
    of that message, buttons included, so a press is only believed when the message really carries
    it: a button can then only turn its own message into what that message may become. Answers are
    the exception: an answer edits no message itself and acts on the event it names, which anyone may
    answer from that event's own card, so a tap on a stale card still gets "this event was cancelled".
    (Presses on inline-sent cards come without their message; their handlers check what they act on.)
    """

    def __init__(self) -> None:
        super().__init__(refuse_foreign_buttons)

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update) or update.callback_query is None:
            return False
        message = update.callback_query.message
        if not isinstance(message, Message):
            return False
        data = update.callback_query.data
        if data is not None and data.startswith((keyboards.RSVP + ":", keyboards.POLL_VOTE + ":")):
            return False  # a vote, like an answer, acts on the poll it names and edits no message
        markup = message.reply_markup
        rows = markup.inline_keyboard if markup is not None else ()
        return not any(button.callback_data == data for row in rows for button in row)


async def refuse_foreign_buttons(update: Update, context: SkedjitContext) -> None:
    """Answers a press on a button its message does not have, and does nothing else."""
    assert update.callback_query is not None
    record_outcome("foreign-button")
    await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)
    raise ApplicationHandlerStop
