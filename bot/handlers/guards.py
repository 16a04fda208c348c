"""Gates every update passes before the command handlers see it."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.context import SkedjitContext
from core import codes

log = logging.getLogger(__name__)


async def drop_unhandled_kinds(update: Update, context: SkedjitContext) -> None:
    """Ignores edits, channel posts and messages without a sender, so nothing acts on them twice."""
    if update.edited_message or update.channel_post or update.edited_channel_post:
        raise ApplicationHandlerStop
    if update.message is not None and update.message.from_user is None:
        raise ApplicationHandlerStop


async def refuse_codes_in_groups(update: Update, context: SkedjitContext) -> None:
    """Never uses a secret code posted in a group: deletes the message if it can and says why."""
    message = update.effective_message
    if message is None or not message.text or codes.find_secret_code(message.text) is None:
        return
    try:
        deleted = await message.delete()
    except TelegramError as exc:
        # The bot may not be an admin with the right to delete; the warning matters more.
        log.info("could not delete a message with a code in chat %s: %s", message.chat_id, exc)
        deleted = False
    note = texts.CODE_IN_GROUP.format(deleted=texts.CODE_IN_GROUP_DELETED if deleted else "")
    await context.bot.send_message(message.chat_id, note, parse_mode="HTML")
    raise ApplicationHandlerStop
