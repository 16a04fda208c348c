"""Gates every update passes before the command handlers see it."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, filters

from bot import texts
from bot.context import SkedjitContext
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
