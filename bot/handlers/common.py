"""Small helpers the handlers share: reading arguments, who is asking, replying."""

from __future__ import annotations

import re

from telegram import Chat, InlineKeyboardMarkup, Message, Update

from bot.wire import NO_PREVIEW
from core import codes
from core.service import Credentials

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


def credentials(update: Update, code: str | None = None) -> Credentials:
    """Who is asking; in a private chat an earlier unlock counts, in a group only the account does."""
    user = update.effective_user
    return Credentials(
        user_id=user.id if user else None,
        code=code,
        chat_id=update.effective_chat.id if is_private(update) and update.effective_chat else None,
    )


def is_anonymous_admin(message: Message) -> bool:
    return message.sender_chat is not None and message.sender_chat.id == message.chat_id


async def reply(update: Update, html: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    assert update.effective_message is not None
    return await update.effective_message.reply_html(
        html, reply_markup=markup, link_preview_options=NO_PREVIEW, do_quote=False
    )
