"""/newevent: one line in any chat, or a guided flow in a private chat; then the secret code goes out."""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, Update, User
from telegram.error import Forbidden, TelegramError

from bot import cards, keyboards, texts
from bot.context import BotData, SkedjitContext
from bot.handlers.common import command_args, is_anonymous_admin, is_private, reply
from bot.sending import send_important
from core import chats, claims, service, sharing
from core.errors import InvalidField
from core.events import LOCATION_MAX

log = logging.getLogger(__name__)

WIZARD_TITLE = "new_title"
WIZARD_WHEN = "new_when"
WIZARD_DETAILS = "new_details"
WIZARD_CONFIRM = "new_confirm"


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
        raise InvalidField("title", "it's missing. Put it after the time, separated by “|”.")
    when, title = parts[0], parts[1]
    if not when:
        raise InvalidField("when", "it's missing. Start with the date and time, then “|”.")
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
    if is_anonymous_admin(message):
        await reply(
            update, texts.ANONYMOUS_ADMIN, keyboards.open_private(data.bot_username, keyboards.NEW_PAYLOAD)
        )
        return
    args = command_args(message)
    if not args:
        if is_private(update):
            await start_wizard(update, context)
        else:
            await reply(update, texts.NEWEVENT_USAGE)
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
        )
    except InvalidField as exc:
        await reply(update, texts.newevent_error(exc.message))
        return
    await publish(message, context, created, user)


async def create_in_chat(
    data: BotData,
    chat_id: int,
    user_id: int,
    *,
    title: str,
    when: str,
    place: str | None,
    description: str | None,
    origin: str,
) -> service.CreatedEvent:
    """Create an event in the chat's timezone, for the one-line command and the guided flow alike."""
    # A burst of creates is let in a few at a time, so views keep the event loop meanwhile.
    async with data.create_gate:
        zone = await chats.chat_timezone(data.uow(), chat_id, data.settings.default_timezone)
        return await service.create_event(
            data.uow(),
            title=title,
            when=when,
            timezone=zone,
            location=place,
            description=description,
            creator_user_id=user_id,
            chat_id=chat_id,
            rounds=data.settings.bcrypt_rounds,
            origin=origin,
        )


async def start_wizard(update: Update, context: SkedjitContext) -> None:
    """Starts the guided title → when → details flow in a private chat."""
    assert update.effective_chat is not None and update.effective_user is not None
    await chats.save_conversation(
        context.bot_data.uow(), update.effective_chat.id, update.effective_user.id, WIZARD_TITLE, {}
    )
    await reply(update, texts.WIZARD_TITLE)


async def publish(
    message: Message, context: SkedjitContext, created: service.CreatedEvent, user: User
) -> None:
    """Posts the new card where it was asked for, and gets the secret code to its creator privately."""
    data = context.bot_data
    link = created.event.link_id
    if created.repeated:
        await _publish_again(message, context, created, user)
        return
    await cards.reply_card(message, data, created.event)
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
        decision = await sharing.claim_publication(data.uow(), link, message.chat_id)
        if decision.post:
            await cards.reply_card(message, data, created.event)
            # The first attempt's code may never have reached anyone: offer a fresh one, to the creator.
            await offer_claim(message, data, link, user.id, user.mention_html())
            return
        if decision.wait <= 0:
            return  # answered the first time
        await asyncio.sleep(min(decision.wait, service.PUBLISH_LEASE.total_seconds()) + 0.1)


async def offer_claim(message: Message, data: BotData, link_id: str, user_id: int, mention: str) -> None:
    token = await claims.create_claim(data.uow(), link_id, user_id)
    markup = keyboards.open_private(
        data.bot_username, keyboards.CLAIM_PREFIX + token, texts.COLLECT_CODE_BUTTON
    )
    await message.reply_html(texts.code_dm_failed(mention), reply_markup=markup, do_quote=False)
