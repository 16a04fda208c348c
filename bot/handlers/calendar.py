"""Add to calendar: an .ics file in the private chat, and a Google Calendar link."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot import texts
from bot.context import SkedjitContext
from core import calendar, service


async def send_calendar(update: Update, context: SkedjitContext, link: str) -> None:
    """Sends the event as an .ics file (cancelled events too, so calendars can update)."""
    data = context.bot_data
    event = await service.get_event(data.uow(), link)
    url = texts.deep_link(data.bot_username, link)
    assert update.effective_message is not None
    google = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.GOOGLE_BUTTON, url=calendar.google_calendar_url(event, url=url))]]
    )
    await update.effective_message.reply_document(
        InputFile(calendar.ics_bytes(event, url=url), filename=calendar.ics_filename(event)),
        caption=texts.CALENDAR_SENT.format(title=texts.esc(event.title)),
        parse_mode="HTML",
        reply_markup=google,
        do_quote=False,
    )
