"""Guided flows in private chats. Their state lives in the database, so any bot process can continue."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot import keyboards, texts
from bot.context import SkedjitContext
from bot.handlers import create, manage
from bot.handlers.common import reply
from core import chats, dates, service
from core.errors import InvalidField
from core.events import EventView, clean_title

SKIP = "/skip"


async def on_text(update: Update, context: SkedjitContext) -> None:
    """Takes the next answer in whatever guided flow the user is in."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    data = context.bot_data
    state = await chats.get_conversation(data.uow(), message.chat_id, user.id)
    text = (message.text or "").strip()
    if state is None:
        await reply(update, "I didn't understand that. Send /help to see what I can do.")
        return
    link = str(state.data.get("link", ""))
    if state.step == manage.UNLOCK:
        event = await service.unlock_event(data.uow(), link, text, user_id=user.id, chat_id=message.chat_id)
        await reply(update, texts.UNLOCKED if state.data.get("then") == "manage" else "🔓 Code accepted.")
        await manage.continue_with(update, context, event, str(state.data.get("then", "")))
    elif state.step == manage.EDIT_VALUE:
        await manage.apply_edit(update, context, link, str(state.data["field"]), text)
        await chats.end_conversation(data.uow(), message.chat_id, user.id)
    elif state.step in (create.WIZARD_TITLE, create.WIZARD_WHEN, create.WIZARD_DETAILS):
        await _wizard_step(update, context, state, text)
    else:
        await reply(update, texts.WIZARD_EXPIRED)


async def _wizard_step(
    update: Update, context: SkedjitContext, state: chats.ConversationState, text: str
) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    data = context.bot_data
    answers = dict(state.data)
    zone = await chats.chat_timezone(data.uow(), message.chat_id, data.settings.default_timezone)
    try:
        if state.step == create.WIZARD_TITLE:
            answers["title"] = clean_title(text)
            next_step, prompt = (
                create.WIZARD_WHEN,
                texts.WIZARD_WHEN.format(title=texts.esc(str(answers["title"])), zone=texts.esc(zone)),
            )
        elif state.step == create.WIZARD_WHEN:
            dates.parse_when(text, zone)
            answers["when"] = text
            next_step, prompt = create.WIZARD_DETAILS, texts.WIZARD_DETAILS
        else:
            answers["details"] = None if text == SKIP else text
            place, description = create.split_details(answers["details"])  # type: ignore[arg-type]
            starts = dates.parse_when(str(answers["when"]), zone)
            preview = _preview(str(answers["title"]), starts, zone, place, description)
            next_step, prompt = create.WIZARD_CONFIRM, texts.WIZARD_PREVIEW.format(card=preview)
    except InvalidField as exc:
        await reply(update, f"⚠️ {texts.esc(exc.message)}")
        return
    await chats.save_conversation(data.uow(), message.chat_id, user.id, next_step, answers)
    markup = keyboards.wizard_confirm() if next_step == create.WIZARD_CONFIRM else None
    await reply(update, prompt, markup)


def _preview(title: str, starts: datetime, zone: str, place: str | None, description: str | None) -> str:
    event = EventView(
        link_id="",
        title=title,
        description=description,
        location=place,
        starts_at=starts,
        ends_at=None,
        timezone=zone,
        creator_user_id=None,
        chat_id=None,
        sequence=0,
        created_at=starts,
        updated_at=starts,
        cancelled_at=None,
    )
    return texts.card(event, "").rsplit("\n🔗", 1)[0].rstrip()


async def skip(update: Update, context: SkedjitContext) -> None:
    """Skips the optional details step of the guided /newevent."""
    await on_text(update, context)


async def cancel(update: Update, context: SkedjitContext) -> None:
    """Leaves whatever guided flow the user is in."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    data = context.bot_data
    state = await chats.get_conversation(data.uow(), message.chat_id, user.id)
    await chats.end_conversation(data.uow(), message.chat_id, user.id)
    await reply(update, texts.CANCELLED_FLOW if state else texts.NOTHING_TO_CANCEL)


async def on_wizard_button(update: Update, context: SkedjitContext) -> None:
    """Creates the previewed event, or drops it."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None and query.message is not None
    data = context.bot_data
    chat_id = query.message.chat.id
    callback = keyboards.decode_callback(query.data)
    state = await chats.take_conversation(data.uow(), chat_id, user.id, create.WIZARD_CONFIRM)
    if state is None:
        await query.answer(texts.WIZARD_EXPIRED, show_alert=True)
        return
    if callback.action == keyboards.WIZARD_CANCEL:
        await query.answer()
        await query.edit_message_text(texts.CANCELLED_FLOW)
        return
    place, description = create.split_details(state.data.get("details"))  # type: ignore[arg-type]
    created = await create.create_in_chat(
        data,
        chat_id,
        user.id,
        title=str(state.data["title"]),
        when=str(state.data["when"]),
        place=place,
        description=description,
        origin=f"wizard:{chat_id}:{query.message.message_id}",
    )
    await query.answer("Created")
    await query.edit_message_reply_markup(None)
    await create.publish(query.message, context, created, user)  # type: ignore[arg-type]
