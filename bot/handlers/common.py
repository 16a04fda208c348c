"""Small helpers the handlers share: reading arguments, who is asking, replying."""

from __future__ import annotations

import re

from telegram import Chat, ChatMember, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackContext

from bot.wire import NO_PREVIEW
from core import codes
from core.access import Requester

_DEEP_LINK_RE = re.compile(r"(?:https?://)?t\.me/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]{1,64})")


def command_args(message: Message) -> str:
    """The text after ``/command`` (or ``/command@bot``), with its spacing and ``|`` kept."""
    text = message.text or ""
    if not text.startswith("/"):
        return text.strip()
    parts = re.split(r"\s", text, maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def extract_link(token: str) -> str | None:
    """Return the link id in a bare id or a pasted deep link, or None."""
    token = token.strip().strip("<>")
    match = _DEEP_LINK_RE.search(token)
    if match:
        token = match.group(1)
    return token if codes.is_link_id(token) else None


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == Chat.PRIVATE


# Accounts Telegram puts in ``from`` for messages no person sent as themselves: a post as any channel
# (Channel_Bot, the same for every channel), an automatic forward from a linked channel (777000), and a
# post as the group by an anonymous admin (GroupAnonymousBot). None is anyone's identity.
PLACEHOLDER_USER_IDS = frozenset({136817688, 777000, 1087968824})


def requester(update: Update) -> Requester:
    """Who is asking: a person's account, or nobody when the message was posted as a chat."""
    private = is_private(update)
    user = update.effective_user
    if update.callback_query is None:
        message = update.effective_message
        if message is not None and message.sender_chat is not None:
            return Requester(None, private)
    if user is None or user.id in PLACEHOLDER_USER_IDS:
        return Requester(None, private)
    return Requester(user.id, private)


def sender_kind(message: Message) -> str | None:
    """ "group" for an anonymous admin, "channel" for a post as a channel, None for a person."""
    if message.sender_chat is not None:
        return "group" if message.sender_chat.id == message.chat_id else "channel"
    if message.from_user is None or message.from_user.id in PLACEHOLDER_USER_IDS:
        return "channel"
    return None


async def reply(update: Update, html: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    assert update.effective_message is not None
    return await update.effective_message.reply_html(
        html, reply_markup=markup, link_preview_options=NO_PREVIEW, do_quote=False
    )


async def is_group_admin(update: Update, context: CallbackContext) -> bool:  # type: ignore[type-arg]
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
