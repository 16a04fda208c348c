"""/editevent, /deleteevent, /newcode, /myevents, /timezone and the buttons that go with them."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import ChatMember, Update

from bot import cards, keyboards, texts
from bot.context import BotData, SkedjitContext
from bot.handlers import rsvp
from bot.handlers.common import command_args, credentials, extract_link, is_anonymous_admin, is_private, reply
from core import attendance, chats, codes, dates, reminders, service
from core.errors import InvalidField, NotAllowed
from core.events import Attendee, EventView
from core.service import Credentials

UNLOCK = "unlock"
EDIT_VALUE = "edit_value"
FIELD_ALIASES = {
    "title": "title",
    "name": "title",
    "when": "when",
    "time": "when",
    "date": "when",
    "place": "location",
    "location": "location",
    "where": "location",
    "details": "description",
    "description": "description",
    "desc": "description",
    "capacity": "capacity",
    "seats": "capacity",
    "limit": "capacity",
    "reminders": "reminders",
    "reminder": "reminders",
}
CLEAR = "-"


def _split_link_and_code(args: str) -> tuple[str | None, str | None, str]:
    """Read ``LINK [CODE] [rest]``: the link, a secret code if one follows it, and the rest."""
    first, _, rest = args.partition(" ")
    link = extract_link(first)
    # The code is read where it stands in the whole text, by the rules the group guard reads that text with,
    # so a code taken here is one the guard refuses in a group before any command sees it.
    found = codes.code_at(args, len(args) - len(rest.lstrip())) if rest.strip() else None
    if found is None:
        return link, None, rest.strip()
    return link, found.code, args[found.end :].strip()


async def open_menu(
    update: Update, context: SkedjitContext, link: str, *, then: str, code: str | None = None
) -> None:
    """In a private chat: unlock with a code if needed, then show what ``then`` asks for."""
    assert update.effective_user is not None and update.effective_chat is not None
    data = context.bot_data
    if code is not None:
        event = await _unlock(update, context, link, code)
    else:
        try:
            event = await service.can_manage(data.uow(), link, credentials(update))
        except NotAllowed:
            event = await service.get_event(data.uow(), link)
            await chats.save_conversation(
                data.uow(),
                update.effective_chat.id,
                update.effective_user.id,
                UNLOCK,
                {"link": link, "then": then},
            )
            await reply(update, texts.ASK_CODE.format(title=texts.esc(event.title)))
            return
    await continue_with(update, context, event, then)


async def _unlock(update: Update, context: SkedjitContext, link: str, code: str) -> EventView:
    """Check a code given in a private chat; while the unlock lasts, no code is needed there."""
    assert update.effective_user is not None and update.effective_chat is not None
    return await service.unlock_event(
        context.bot_data.uow(), link, code, user_id=update.effective_user.id, chat_id=update.effective_chat.id
    )


async def continue_with(update: Update, context: SkedjitContext, event: EventView, then: str) -> None:
    title = texts.esc(event.title)
    if then == "edit":
        await reply(update, texts.PICK_FIELD.format(title=title), keyboards.pick_field(event.link_id))
    elif then == "delete":
        await reply(update, texts.CONFIRM_DELETE.format(title=title), keyboards.confirm_delete(event.link_id))
    elif then == "newcode":
        await _send_new_code(update, context, event.link_id)
    else:
        await reply(update, texts.MANAGE_MENU.format(title=title), keyboards.manage_menu(event.link_id))


async def editevent(update: Update, context: SkedjitContext) -> None:
    """Changes one field of an event, or lets the user pick one with buttons in a private chat."""
    assert update.effective_message is not None
    link, code, rest = _split_link_and_code(command_args(update.effective_message))
    if link is None:
        await reply(update, texts.EDIT_USAGE)
        return
    field_word, _, value = rest.partition(" ")
    field = FIELD_ALIASES.get(field_word.lower())
    if field is None or not value.strip():
        if is_private(update):
            await open_menu(update, context, link, then="edit", code=code)
        else:
            await _group_check_creator(update, context, link, texts.EDIT_USAGE)
        return
    if code is not None:
        await _unlock(update, context, link, code)
    await apply_edit(update, context, link, field, value)


async def apply_edit(update: Update, context: SkedjitContext, link: str, field: str, value: str) -> None:
    data = context.bot_data
    value = value.strip()
    if field in ("location", "description") and value == CLEAR:
        value = ""
    try:
        event, promoted = await _change(data, link, credentials(update), field, value)
    except NotAllowed:
        if is_private(update):
            await open_menu(update, context, link, then="edit")
            return
        await reply(
            update,
            texts.GROUP_NOT_CREATOR,
            keyboards.open_private(data.bot_username, keyboards.MANAGE_PREFIX + link),
        )
        return
    assert update.effective_message is not None
    if is_private(update):
        await reply(update, texts.UPDATED)
        await cards.reply_card(update.effective_message, data, event)
    else:
        # A group already has the card, which is about to change; a second copy would be noise, and
        # every message counts against the group's 20 a minute.
        await reply(update, texts.UPDATED_IN_GROUP)
    cards.schedule_refresh(context.bot, data, event.link_id)
    for person in promoted:
        await rsvp.tell_promoted(context, person.user_id, event)


async def _change(
    data: BotData, link: str, who: Credentials, field: str, value: str
) -> tuple[EventView, tuple[Attendee, ...]]:
    if field == "capacity":
        outcome = await attendance.set_capacity(data.uow(), link, who, _parse_capacity(value))
        return outcome.event, outcome.promoted
    if field == "reminders":
        await reminders.set_reminders(data.uow(), link, who, reminders.parse_offsets(value))
        return await service.get_event(data.uow(), link), ()
    return await service.update_event(data.uow(), link, who, **{field: value}), ()  # type: ignore[arg-type]


def _parse_capacity(value: str) -> int:
    if value.lower() in ("", "none", "off", "no limit", "unlimited"):
        return 0
    if not value.isdigit():
        raise InvalidField("capacity", "send a number of seats, or 0 for no limit.")
    return int(value)


async def reminders_command(update: Update, context: SkedjitContext) -> None:
    """Shows an event's reminders, or changes them: /reminders LINK 1d 1h, or off."""
    assert update.effective_message is not None
    link, code, rest = _split_link_and_code(command_args(update.effective_message))
    if link is None:
        await reply(update, texts.REMINDERS_USAGE)
        return
    if rest:
        if code is not None:
            await _unlock(update, context, link, code)
        await apply_edit(update, context, link, "reminders", rest)
        return
    event = await service.get_event(context.bot_data.uow(), link)
    await reply(
        update,
        texts.REMINDERS_SHOW.format(
            title=texts.esc(event.title), which=reminders.describe_offsets(event.reminder_minutes), link=link
        ),
    )


async def _group_check_creator(update: Update, context: SkedjitContext, link: str, usage: str) -> bool:
    """In a group: True for the creator; anyone else is pointed to the private chat."""
    data = context.bot_data
    try:
        await service.can_manage(data.uow(), link, credentials(update))
    except NotAllowed:
        await reply(
            update,
            texts.GROUP_NOT_CREATOR,
            keyboards.open_private(data.bot_username, keyboards.MANAGE_PREFIX + link),
        )
        return False
    if usage:
        await reply(update, usage)
    return True


async def deleteevent(update: Update, context: SkedjitContext) -> None:
    """Asks to confirm cancelling an event, for its creator or a holder of its code."""
    assert update.effective_message is not None
    link, code, _ = _split_link_and_code(command_args(update.effective_message))
    if link is None:
        await reply(update, texts.DELETE_USAGE)
        return
    if is_private(update):
        await open_menu(update, context, link, then="delete", code=code)
    elif await _group_check_creator(update, context, link, ""):
        event = await service.get_event(context.bot_data.uow(), link)
        await reply(
            update, texts.CONFIRM_DELETE.format(title=texts.esc(event.title)), keyboards.confirm_delete(link)
        )


async def newcode(update: Update, context: SkedjitContext) -> None:
    """Replaces an event's secret code, in a private chat only."""
    assert update.effective_message is not None
    data = context.bot_data
    link, code, _ = _split_link_and_code(command_args(update.effective_message))
    if not is_private(update):
        payload = keyboards.MANAGE_PREFIX + link if link else "start"
        await reply(update, texts.PRIVATE_ONLY, keyboards.open_private(data.bot_username, payload))
        return
    if link is None:
        await reply(update, texts.NEWCODE_USAGE)
        return
    await open_menu(update, context, link, then="newcode", code=code)


async def _send_new_code(update: Update, context: SkedjitContext, link: str) -> None:
    data = context.bot_data
    new = await service.rotate_code(data.uow(), link, credentials(update), rounds=data.settings.bcrypt_rounds)
    event = await service.get_event(data.uow(), link)
    await reply(update, texts.NEW_CODE.format(title=texts.esc(event.title), code=new))


async def myevents(update: Update, context: SkedjitContext) -> None:
    """Lists the user's own upcoming events, in a private chat."""
    data = context.bot_data
    if not is_private(update):
        await reply(update, texts.PRIVATE_ONLY, keyboards.open_private(data.bot_username, "start"))
        return
    assert update.effective_user is not None
    events = await service.list_user_events(data.uow(), update.effective_user.id)
    if not events:
        await reply(update, texts.MY_EVENTS_EMPTY)
        return
    lines = [texts.MY_EVENTS_HEAD]
    for event in events:
        lines.append(
            f"• <b>{texts.esc(event.title)}</b>, {texts.esc(dates.format_when(event.starts_at, event.timezone))}\n"
            f"  {texts.deep_link(data.bot_username, event.link_id)}"
        )
    await reply(update, "\n".join(lines))


async def timezone(update: Update, context: SkedjitContext) -> None:
    """Shows or sets the timezone new events in this chat use."""
    assert update.effective_message is not None and update.effective_chat is not None
    data = context.bot_data
    chat_id = update.effective_chat.id
    args = command_args(update.effective_message)
    if args:
        if not is_private(update) and not await _is_group_admin(update, context):
            await reply(update, texts.TIMEZONE_ADMINS_ONLY)
            return
        zone = await chats.set_chat_timezone(data.uow(), chat_id, args)
        await reply(update, texts.TIMEZONE_SET.format(zone=texts.esc(zone), now=_now_in(zone)))
        return
    zone = await chats.chat_timezone(data.uow(), chat_id, data.settings.default_timezone)
    await reply(update, texts.TIMEZONE_SHOW.format(zone=texts.esc(zone), now=_now_in(zone)))


async def _is_group_admin(update: Update, context: SkedjitContext) -> bool:
    """A group's setting is for its admins (an anonymous admin posts as the group itself)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    if is_anonymous_admin(message):
        return True
    member = await context.bot.get_chat_member(message.chat_id, user.id)
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


def _now_in(zone: str) -> str:
    return texts.esc(dates.format_when(datetime.now(UTC), zone))


async def on_button(update: Update, context: SkedjitContext) -> None:
    """Acts on a management button: pick a field, confirm or cancel a delete, or make a new code."""
    query = update.callback_query
    assert query is not None
    callback = keyboards.decode_callback(query.data)
    data = context.bot_data
    link = callback.link_id
    assert link is not None
    if callback.action == keyboards.DELETE_NO:
        await query.answer()
        await query.edit_message_text(texts.DELETE_KEPT)
        return
    if callback.action == keyboards.DELETE_YES:
        event = await service.delete_event(data.uow(), link, credentials(update))
        await query.answer("Cancelled")
        await query.edit_message_text(texts.DELETED.format(title=texts.esc(event.title)), parse_mode="HTML")
        cards.schedule_refresh(context.bot, data, event.link_id)
        return
    if not is_private(update):
        await query.answer(texts.PRIVATE_ONLY, show_alert=True)
        return
    event = await service.can_manage(data.uow(), link, credentials(update))
    await query.answer()
    if callback.action == keyboards.EDIT_PICK:
        await reply(update, texts.PICK_FIELD.format(title=texts.esc(event.title)), keyboards.pick_field(link))
    elif callback.action == keyboards.DELETE_ASK:
        await reply(
            update, texts.CONFIRM_DELETE.format(title=texts.esc(event.title)), keyboards.confirm_delete(link)
        )
    elif callback.action == keyboards.NEW_CODE:
        await _send_new_code(update, context, link)
    elif callback.action == keyboards.EDIT_FIELD and callback.field:
        assert update.effective_user is not None and update.effective_chat is not None
        await chats.save_conversation(
            data.uow(),
            update.effective_chat.id,
            update.effective_user.id,
            EDIT_VALUE,
            {"link": link, "field": callback.field},
        )
        await reply(update, texts.ASK_VALUE[callback.field].format(zone=texts.esc(event.timezone)))
