"""/timezone, /language and /settings: how a chat works (a group's admins decide; a person decides their
own)."""

from __future__ import annotations

from telegram import Update

from bot import i18n, keyboards, texts
from bot.context import SkedjitContext
from bot.handlers.common import command_args, is_group_admin, is_private, reply
from bot.timefmt import format_when
from core import chat_settings, service
from core.clock import utcnow
from core.dates import same_clock_time_shift
from core.errors import NotAllowed


async def timezone(update: Update, context: SkedjitContext) -> None:
    """Shows or sets the timezone new events in this chat use."""
    assert update.effective_message is not None and update.effective_chat is not None
    data = context.bot_data
    chat_id = update.effective_chat.id
    args = command_args(update.effective_message)
    if args:
        if not is_private(update) and not await is_group_admin(update, context):
            await reply(update, texts.TIMEZONE_ADMINS_ONLY)
            return
        result = await chat_settings.set_chat_timezone(data.uow(), chat_id, args)
        zone = result.timezone
        await reply(update, texts.TIMEZONE_SET.format(zone=texts.esc(zone), now=_now_in(zone)))
        if (first := result.first_event) is not None:
            moved = first.starts_at + same_clock_time_shift(first.starts_at, first.timezone, zone)
            await reply(
                update,
                texts.ZONE_OFFER.format(title=texts.esc(first.title), old=texts.esc(first.timezone)),
                keyboards.zone_choice(
                    first.link_id,
                    texts.ZONE_SAME_CLOCK.format(when=format_when(moved, zone)),
                    texts.ZONE_SAME_INSTANT.format(when=format_when(first.starts_at, zone)),
                ),
            )
        return
    zone = await chat_settings.chat_timezone(data.uow(), chat_id, data.settings.default_timezone)
    await reply(update, texts.TIMEZONE_SHOW.format(zone=texts.esc(zone), now=_now_in(zone)))


async def on_zone_choice(update: Update, context: SkedjitContext) -> None:
    """Puts the chat's first event at the same clock time in the new zone, or keeps its moment."""
    query = update.callback_query
    assert query is not None and query.message is not None
    callback = keyboards.decode_callback(query.data)
    assert callback.link_id is not None and callback.choice is not None
    if not is_private(update) and not await is_group_admin(update, context):
        raise NotAllowed()
    data = context.bot_data
    event = await service.move_to_chat_zone(
        data.uow(), query.message.chat.id, callback.link_id, keep_clock_time=callback.choice
    )
    await query.answer()
    await query.edit_message_text(
        texts.ZONE_MOVED.format(
            title=texts.esc(event.title), when=texts.esc(format_when(event.starts_at, event.timezone))
        ),
        parse_mode="HTML",
    )
    data.card_sync.kick()


async def language(update: Update, context: SkedjitContext) -> None:
    """Shows the chat's language, with a button for each language the bot speaks; ``/language ru`` sets it."""
    assert update.effective_message is not None and update.effective_chat is not None
    chosen = i18n.normalize(command_args(update.effective_message))
    if chosen is not None:
        if not is_private(update) and not await is_group_admin(update, context):
            await reply(update, texts.LANGUAGE_ADMINS_ONLY)
            return
        await _set_language(context, update.effective_chat.id, chosen)
        await reply(update, texts.LANGUAGE_SET.format(language=texts.esc(i18n.LANGUAGES[chosen])))
        return
    current = i18n.current()
    await reply(
        update,
        texts.LANGUAGE_SHOW.format(language=texts.esc(i18n.LANGUAGES[current])),
        keyboards.language_menu(current),
    )


async def on_language_button(update: Update, context: SkedjitContext) -> None:
    """Sets the chat's language: a group's admins only; in a private chat, the person's own."""
    query = update.callback_query
    assert query is not None and query.message is not None
    callback = keyboards.decode_callback(query.data)
    assert callback.language is not None
    if not is_private(update) and not await is_group_admin(update, context):
        await query.answer(texts.LANGUAGE_ADMINS_ONLY, show_alert=True)
        return
    await _set_language(context, query.message.chat.id, callback.language)
    await query.answer()
    await query.edit_message_text(
        texts.LANGUAGE_SET.format(language=texts.esc(i18n.LANGUAGES[callback.language])),
        parse_mode="HTML",
        reply_markup=keyboards.language_menu(callback.language),
    )


async def _set_language(context: SkedjitContext, chat_id: int, language: str) -> None:
    """Store the chat's language, use it in this process from now on, and answer in it."""
    data = context.bot_data
    await chat_settings.set_chat_language(data.uow(), chat_id, language)
    data.languages.chosen(chat_id, language)
    i18n.set_language(language)


async def settings(update: Update, context: SkedjitContext) -> None:
    """Shows who may create events in a group, with buttons for its admins."""
    data = context.bot_data
    if is_private(update):
        await reply(update, texts.SETTINGS_PRIVATE)
        return
    assert update.effective_chat is not None
    setup = await chat_settings.setup_for_new_event(
        data.uow(), update.effective_chat.id, data.settings.default_timezone
    )
    await reply(update, texts.SETTINGS_GROUP, keyboards.settings_menu(setup.admins_only))


async def on_settings_button(update: Update, context: SkedjitContext) -> None:
    """Changes who may create events in a group, for its admins only."""
    query = update.callback_query
    assert query is not None and query.message is not None
    callback = keyboards.decode_callback(query.data)
    assert callback.choice is not None
    if not await is_group_admin(update, context):
        await query.answer(texts.SETTINGS_ADMINS_ONLY, show_alert=True)
        return
    await chat_settings.set_creators(
        context.bot_data.uow(), query.message.chat.id, admins_only=callback.choice
    )
    await query.answer()
    await query.edit_message_text(
        texts.SETTINGS_SAVED[callback.choice], reply_markup=keyboards.settings_menu(callback.choice)
    )


def _now_in(zone: str) -> str:
    return texts.esc(format_when(utcnow(), zone))
