"""Sending the messages that matter (secret codes, reminders) through Telegram's hiccups."""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.wire import NO_PREVIEW

SEND_ATTEMPTS = 4
RETRY_BACKOFF = 1.0


async def send_important(bot: Bot, chat_id: int, text: str) -> None:
    """Send, retrying Telegram's 5xx and connection errors with backoff; 429 is the rate limiter's.

    A time-out is not retried: the message may have arrived, and sending it again could show it twice.
    """
    for attempt in range(SEND_ATTEMPTS):
        try:
            await bot.send_message(chat_id, text, parse_mode="HTML", link_preview_options=NO_PREVIEW)
            return
        except TimedOut:
            raise
        except NetworkError:
            if attempt == SEND_ATTEMPTS - 1:
                raise
            await asyncio.sleep(RETRY_BACKOFF * 2**attempt)
