"""The reminder loop: claim what is due, post it where the card is and to those going, once each."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import i18n, texts
from bot.context import BotData
from bot.sending import send_important
from bot.timefmt import describe_delta, format_when
from core import reminders
from core.reminders import DueReminder

log = logging.getLogger(__name__)
BATCH = 100


def reminder_text(data: BotData, due: DueReminder, now: datetime) -> str:
    event = due.event
    place = f"\n📍 {texts.esc(event.location)}" if event.location else ""
    return texts.REMINDER.format(
        title=texts.esc(event.title),
        delta=texts.time_tag(event.starts_at, "r", describe_delta(event.starts_at, now)),
        when=texts.time_tag(event.starts_at, "wDt", format_when(event.starts_at, event.timezone)),
        place=place,
        link=texts.deep_link(data.bot_username, event.link_id),
    )


async def send_due_reminders(bot: Bot, data: BotData, *, now: datetime | None = None) -> int:
    """Send every reminder due at ``now``; return how many messages went out."""
    sent = 0
    moment = now or datetime.now(UTC)
    batch = await reminders.claim_due(data.uow(), now=moment, limit=BATCH)
    while batch:
        # Claim the next batch while this one is sent, so sending never pauses for the database.
        following = (
            asyncio.create_task(reminders.claim_due(data.uow(), now=now or datetime.now(UTC), limit=BATCH))
            if len(batch) == BATCH
            else None
        )
        try:
            for due in batch:
                sent += await _send_one(bot, data, due, moment)
        finally:
            batch = await following if following is not None else []
        moment = now or datetime.now(UTC)
    return sent


async def _send_one(bot: Bot, data: BotData, due: DueReminder, now: datetime) -> int:
    recipients = (*due.chat_ids, *due.going_user_ids)
    languages = await data.languages.of_chats(data, recipients)
    texts_by_language: dict[str, str] = {}
    sent = 0
    for chat_id in recipients:
        if not await reminders.start_delivery(data.uow(), due.reminder_id, chat_id):
            continue
        language = languages[chat_id]
        if language not in texts_by_language:
            with i18n.use(language):
                texts_by_language[language] = reminder_text(data, due, now)
        try:
            await send_important(bot, chat_id, texts_by_language[language])
            sent += 1
        except (Forbidden, BadRequest) as exc:
            # Blocked, never opened the bot, or removed from the group: nothing to retry.
            log.info("reminder %s not delivered to a chat: %s", due.reminder_id, exc.message)
        except TelegramError as exc:
            log.warning("reminder %s: sending failed: %s", due.reminder_id, exc)
    await reminders.finish(data.uow(), due.reminder_id, now=now)
    return sent
