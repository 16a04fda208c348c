"""/timezone: the zone new events in a chat are read in (a group's admins set it; a person their own)."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot import texts
from bot.context import SkedjitContext
from bot.handlers.common import PLACEHOLDER_USER_IDS, command_args, is_private, reply
from bot.timefmt import format_when
from core import chat_settings
from core.clock import utcnow


async def timezone(update: Update, context: SkedjitContext) -> None:
    """Shows or sets the timezone new events in this chat use."""
    assert update.effective_message is not None and update.effective_chat is not None
    data = context.bot_data
    chat_id = update.effective_chat.id
    args = command_args(update.effective_message)
    if args:
        if not is_private(update) and not await _is_group_admin(update, context):
            await reply(update, texts.TIMEZONE_ADMINS_ONLY)
            return
        zone = await chat_settings.set_chat_timezone(data.uow(), chat_id, args)
        await reply(update, texts.TIMEZONE_SET.format(zone=texts.esc(zone), now=_now_in(zone)))
        return
    zone = await chat_settings.chat_timezone(data.uow(), chat_id, data.settings.default_timezone)
    await reply(update, texts.TIMEZONE_SHOW.format(zone=texts.esc(zone), now=_now_in(zone)))


async def _is_group_admin(update: Update, context: SkedjitContext) -> bool:
    """A group's setting is for its admins: an anonymous admin posts as the group itself; a post as a
    channel, or from a placeholder account, is nobody's."""
    message, user = update.effective_message, update.effective_user
    assert message is not None
    if message.sender_chat is not None:
        return message.sender_chat.id == message.chat_id
    if user is None or user.id in PLACEHOLDER_USER_IDS:
        return False
    member = await context.bot.get_chat_member(message.chat_id, user.id)
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


def _now_in(zone: str) -> str:
    return texts.esc(format_when(utcnow(), zone))
