"""The global error handler: domain errors become their message, anything else a short apology."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot import keyboards, texts
from bot.context import SkedjitContext
from bot.observe import record_outcome
from bot.wire import NO_PREVIEW
from core.errors import DomainError, InvalidField

log = logging.getLogger(__name__)


async def on_error(update: object, context: SkedjitContext) -> None:
    """Logs the error, then tells the user something useful without any internals."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    record_outcome(type(error).__name__)
    if isinstance(error, DomainError):
        log.info("update %s: %s", update_id, type(error).__name__)
        text = texts.describe_error(error)
        if isinstance(error, InvalidField):
            text = f"⚠️ {text}"
    elif isinstance(error, keyboards.BadCallback):
        log.info("update %s: unknown callback data", update_id)
        text = texts.STALE_BUTTON
    else:
        log.error("update %s failed", update_id, exc_info=error)
        text = texts.SORRY
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            # An alert shows plain text, up to 200 characters.
            await update.callback_query.answer(texts.plain(text)[:200], show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_html(text, do_quote=False, link_preview_options=NO_PREVIEW)
    except TelegramError as exc:
        log.warning("update %s: could not tell the user about the error: %s", update_id, exc)
