"""/newevent: one line in any chat, or a guided flow in a private chat; then the secret code goes out."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import Message, Update, User
from telegram.error import Forbidden, TelegramError

from bot import cards, i18n, keyboards, texts
from bot.context import BotData, SkedjitContext
from bot.handlers.common import command_args, is_group_admin, is_private, reply, sender_kind
from bot.handlers.steps import Step
from bot.sending import send_important
from core import cards as card_records
from core import chat_settings, claims, dates, flows, recurrence, service
from core.errors import FlowExpired, InvalidField
from core.events import LOCATION_MAX, EventView, clean_title

log = logging.getLogger(__name__)

SKIP = "/skip"


def split_details(details: str | None) -> tuple[str | None, str | None]:
    """Read the optional third part as a place when it looks like one, else as a description."""
    if not details:
        return None, None
    if len(details) <= LOCATION_MAX and "\n" not in details:
        return details, None
    return None, details


def parse_newevent(args: str) -> tuple[str, str, str | None, str | None]:
    """Split ``when | title | place | details``; raise ``InvalidField`` naming what is missing."""
    parts = [part.strip() for part in args.split("|")]
    if len(parts) < 2 or not parts[1]:
        raise InvalidField("title", "missing_in_command")
    when, title = parts[0], parts[1]
    if not when:
        raise InvalidField("when", "missing_in_command")
    place = parts[2] if len(parts) > 2 and parts[2] else None
    description = "|".join(parts[3:]).strip() or None if len(parts) > 3 else None
    if description is None:
        place, description = split_details(place)
    return when, title, place, description


async def newevent(update: Update, context: SkedjitContext) -> None:
    """Creates an event from one line, or starts the guided flow in a private chat."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    data = context.bot_data
    kind = sender_kind(message)
    if kind is not None:
        # Posted as the group or as a channel: there is no person to give the secret code to.
        await reply(
            update, texts.NO_IDENTITY[kind], keyboards.open_private(data.bot_username, keyboards.NEW_PAYLOAD)
        )
        return
    args = command_args(message)
    if not args:
        if is_private(update):
            await start_wizard(update, context)
        else:
            await reply(update, texts.newevent_usage())
        return
    setup = await chat_settings.setup_for_new_event(
        data.uow(), message.chat_id, data.settings.default_timezone
    )
    if setup.admins_only and not is_private(update) and not await is_group_admin(update, context):
        await reply(
            update, texts.CREATE_ADMINS_ONLY, keyboards.open_private(data.bot_username, keyboards.NEW_PAYLOAD)
        )
        return
    try:
        when, title, place, description = parse_newevent(args)
        created = await create_in_chat(
            data,
            message.chat_id,
            user.id,
            title=title,
            when=when,
            place=place,
            description=description,
            origin=f"{message.chat_id}:{message.message_id}",
            setup=setup,
        )
    except InvalidField as exc:
        await reply(update, texts.newevent_error(exc))
        return
    await publish(message, context, created, user)


async def create_in_chat(
    data: BotData,
    chat_id: int,
    user_id: int,
    *,
    title: str,
    when: str | dates.When,
    place: str | None,
    description: str | None,
    origin: str,
    setup: chat_settings.ChatSetup | None = None,
    timezone: str | None = None,
    repeat: str | None = None,
) -> service.CreatedEvent:
    """Create an event in the chat's timezone, for the one-line command and the guided flow alike.

    ``timezone`` fixes the zone (a preview already showed the event in it); else the chat's applies.
    """
    # A burst of creates is let in a few at a time, so views keep the event loop meanwhile.
    async with data.create_gate:
        if setup is None:
            setup = await chat_settings.setup_for_new_event(
                data.uow(), chat_id, data.settings.default_timezone
            )
        return await service.create_event(
            data.uow(),
            title=title,
            when=when,
            timezone=timezone or setup.timezone,
            location=place,
            description=description,
            creator_user_id=user_id,
            chat_id=chat_id,
            rounds=data.settings.bcrypt_rounds,
            origin=origin,
            zone_chosen=setup.chosen or timezone is not None,
            repeat=repeat,
            language=i18n.current(),
        )


async def start_wizard(update: Update, context: SkedjitContext) -> None:
    """Starts the guided title → when → details flow in a private chat."""
    assert update.effective_chat is not None and update.effective_user is not None
    await flows.save_flow(
        context.bot_data.uow(), update.effective_chat.id, update.effective_user.id, Step.NEW_TITLE, {}
    )
    await reply(update, texts.WIZARD_TITLE)


async def on_title(update: Update, context: SkedjitContext, state: flows.FlowState, text: str) -> None:
    """Takes the title, asks when."""
    data = context.bot_data
    chat_id, user_id = _chat_and_user(update)
    title = clean_title(text)
    zone = await chat_settings.chat_timezone(data.uow(), chat_id, data.settings.default_timezone)
    await flows.save_flow(data.uow(), chat_id, user_id, Step.NEW_WHEN, {"title": title})
    await reply(update, texts.WIZARD_WHEN.format(title=texts.esc(title), zone=texts.esc(zone)))


async def on_when(update: Update, context: SkedjitContext, state: flows.FlowState, text: str) -> None:
    """Reads the time in the chat's zone, keeps the instant it means, asks for details."""
    data = context.bot_data
    chat_id, user_id = _chat_and_user(update)
    zone = await chat_settings.chat_timezone(data.uow(), chat_id, data.settings.default_timezone)
    when = dates.parse_when(text, zone, language=i18n.current())
    # The instant, not the text: read again later, "tomorrow" could mean another day.
    answers = {
        **state.data,
        "zone": zone,
        "starts_at": when.starts_at.isoformat(),
        "ends_at": when.ends_at.isoformat() if when.ends_at else None,
    }
    await flows.save_flow(data.uow(), chat_id, user_id, Step.NEW_REPEAT, answers)
    await reply(
        update, texts.REPEAT_PROMPT.format(title=texts.esc(str(answers["title"]))), keyboards.repeat_choice()
    )


async def on_repeat_text(update: Update, context: SkedjitContext, state: flows.FlowState, text: str) -> None:
    """The repeat step is answered with a button: ask again."""
    await reply(
        update,
        texts.REPEAT_PROMPT.format(title=texts.esc(str(state.data["title"]))),
        keyboards.repeat_choice(),
    )


async def on_repeat_button(update: Update, context: SkedjitContext) -> None:
    """Takes how the event repeats (or not), asks for details."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None and query.message is not None
    callback = keyboards.decode_callback(query.data)
    data = context.bot_data
    chat_id = query.message.chat.id
    state = await flows.take_flow(data.uow(), chat_id, user.id, Step.NEW_REPEAT)
    if state is None:
        raise FlowExpired()
    answers = {**state.data, "repeat": callback.repeat}
    await flows.save_flow(data.uow(), chat_id, user.id, Step.NEW_DETAILS, answers)
    await query.answer()
    await query.edit_message_reply_markup(None)
    await reply(update, texts.WIZARD_DETAILS)


async def on_details(update: Update, context: SkedjitContext, state: flows.FlowState, text: str) -> None:
    """Takes the details (or /skip) and shows the event as it will be created, with a button."""
    data = context.bot_data
    chat_id, user_id = _chat_and_user(update)
    answers = {**state.data, "details": None if text == SKIP else text}
    preview = _preview(answers)
    await flows.save_flow(data.uow(), chat_id, user_id, Step.NEW_CONFIRM, answers)
    await reply(
        update, texts.WIZARD_PREVIEW.format(card=texts.card_preview(preview)), keyboards.wizard_confirm()
    )


def _preview(answers: dict[str, object]) -> EventView:
    place, description = split_details(answers.get("details"))  # type: ignore[arg-type]
    starts_at = datetime.fromisoformat(str(answers["starts_at"]))
    ends_at = datetime.fromisoformat(str(answers["ends_at"])) if answers.get("ends_at") else None
    kind = answers.get("repeat")
    rule = recurrence.simple_rule(str(kind), starts_at, str(answers["zone"])) if kind else None
    return EventView(
        recurrence=rule,
        series_start=starts_at if rule else None,
        occurrence_start=starts_at if rule else None,
        link_id="",
        title=str(answers["title"]),
        description=description,
        location=place,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=str(answers["zone"]),
        creator_user_id=None,
        chat_id=None,
        sequence=0,
        created_at=starts_at,
        updated_at=starts_at,
        cancelled_at=None,
    )


async def on_wizard_button(update: Update, context: SkedjitContext) -> None:
    """Creates the previewed event exactly as shown, or drops it."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None and query.message is not None
    data = context.bot_data
    chat_id = query.message.chat.id
    callback = keyboards.decode_callback(query.data)
    state = await flows.take_flow(data.uow(), chat_id, user.id, Step.NEW_CONFIRM)
    if state is None:
        raise FlowExpired()
    if callback.action == keyboards.WIZARD_CANCEL:
        await query.answer()
        await query.edit_message_text(texts.CANCELLED_FLOW)
        return
    preview = _preview(state.data)
    created = await create_in_chat(
        data,
        chat_id,
        user.id,
        title=preview.title,
        when=dates.When(preview.starts_at, preview.ends_at),
        repeat=preview.recurrence,
        place=preview.location,
        description=preview.description,
        origin=f"wizard:{chat_id}:{query.message.message_id}",
        timezone=preview.timezone,
    )
    await query.answer(texts.CREATED_ALERT)
    await query.edit_message_reply_markup(None)
    await publish(query.message, context, created, user)  # type: ignore[arg-type]


def _chat_and_user(update: Update) -> tuple[int, int]:
    assert update.effective_chat is not None and update.effective_user is not None
    return update.effective_chat.id, update.effective_user.id


async def publish(
    message: Message, context: SkedjitContext, created: service.CreatedEvent, user: User
) -> None:
    """Posts the new card where it was asked for, and gets the secret code to its creator privately."""
    data = context.bot_data
    link = created.event.link_id
    if created.repeated:
        await _publish_again(message, context, created, user)
        return
    await cards.reply_card(message, data, created.event, show_names=True, zone_hint=created.names_zone)
    with i18n.use(await data.languages.of_person(data, user.id, user.language_code)):
        code_text = texts.code_dm(created.event, created.secret_code)
    if message.chat.type == "private":
        await send_important(context.bot, message.chat_id, code_text)
        return
    try:
        await send_important(context.bot, user.id, code_text)
    except Forbidden:
        # The creator never opened a private chat with the bot; give them a one-time way to collect it.
        await offer_claim(message, data, link, user.id, user.mention_html())
    except TelegramError as exc:
        log.warning("the secret code of %s could not be sent: %s", link, exc)
        await offer_claim(message, data, link, user.id, user.mention_html())


async def _publish_again(
    message: Message, context: SkedjitContext, created: service.CreatedEvent, user: User
) -> None:
    """Telegram delivered the request again (a webhook retry, or polling after a crash).

    If the first delivery is still posting the card (another process, a moment ago), wait for its
    lease; post only if, by then, no card was recorded, so the chat sees one card either way.
    """
    data = context.bot_data
    link = created.event.link_id
    for _ in range(3):
        decision = await card_records.claim_publication(data.uow(), link, message.chat_id)
        if decision.post:
            await cards.reply_card(message, data, created.event)
            # The first attempt's code may never have reached anyone: offer a fresh one, to the creator.
            await offer_claim(message, data, link, user.id, user.mention_html())
            return
        if decision.wait <= 0:
            return  # answered the first time
        await asyncio.sleep(min(decision.wait, card_records.PUBLISH_LEASE.total_seconds()) + 0.1)


async def offer_claim(message: Message, data: BotData, link_id: str, user_id: int, mention: str) -> None:
    token = await claims.create_claim(data.uow(), link_id, user_id)
    markup = keyboards.open_private(
        data.bot_username, keyboards.CLAIM_PREFIX + token, texts.COLLECT_CODE_BUTTON
    )
    await message.reply_html(texts.code_dm_failed(mention), reply_markup=markup, do_quote=False)
