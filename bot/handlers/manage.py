"""/editevent, /deleteevent, /newcode, /myevents, /reminders and the management buttons."""

from __future__ import annotations

import contextlib
import re

from telegram import InputFile, Update
from telegram.error import Forbidden, TelegramError

from bot import cards, i18n, keyboards, poll_texts, texts
from bot.context import SkedjitContext
from bot.handlers import rsvp
from bot.handlers.common import command_args, extract_link, is_private, reply, requester
from bot.handlers.steps import Step, Then
from bot.timefmt import describe_offsets, format_day, format_when
from core import codes, flows, series, service
from core.errors import NotAllowed
from core.events import CLEARABLE_FIELDS, EventView, Field


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


def _is_creator(update: Update, event: EventView) -> bool:
    who = requester(update)
    return who.user_id is not None and who.user_id == event.creator_user_id


async def open_menu(
    update: Update, context: SkedjitContext, link: str, *, then: Then, code: str | None = None
) -> None:
    """In a private chat: once the person may manage the event (typing its code if needed), do ``then``."""
    data = context.bot_data
    access = await service.open_management(data.uow(), link, requester(update), code=code)
    if not access.allowed:
        await _ask_code(update, context, access.event, then)
        return
    await continue_with(update, context, access.event, then)


async def _ask_code(update: Update, context: SkedjitContext, event: EventView, then: Then) -> None:
    assert update.effective_chat is not None and update.effective_user is not None
    await flows.save_flow(
        context.bot_data.uow(),
        update.effective_chat.id,
        update.effective_user.id,
        Step.CODE,
        {"link": event.link_id, "then": then.value},
    )
    prompt = texts.ASK_CODE_TO_REPLACE if then is Then.NEW_CODE else texts.ASK_CODE
    await reply(update, prompt.format(title=texts.esc(event.title)))


async def continue_with(update: Update, context: SkedjitContext, event: EventView, then: Then) -> None:
    title = texts.esc(event.title)
    if then is Then.EDIT:
        await reply(
            update,
            texts.PICK_FIELD.format(title=title),
            keyboards.pick_field(event.link_id, poll=event.is_poll),
        )
    elif then is Then.DELETE:
        await reply(update, texts.CONFIRM_DELETE.format(title=title), keyboards.confirm_delete(event.link_id))
    elif then is Then.NEW_CODE:
        # Someone else's unlock is not enough to replace the code: the current code must be typed again.
        if _is_creator(update, event):
            await _send_new_code(update, context, event.link_id)
        else:
            await _ask_code(update, context, event, then)
    elif event.is_poll:
        await reply(update, poll_texts.manage_menu(event), keyboards.manage_menu(event.link_id))
    else:
        await reply(update, texts.MANAGE_MENU.format(title=title), keyboards.manage_menu(event.link_id))


async def on_code(update: Update, context: SkedjitContext, state: flows.FlowState, text: str) -> None:
    """Takes the secret code the flow asked for, then does what the person wanted."""
    chat_id, user_id = update.effective_chat.id, update.effective_user.id  # type: ignore[union-attr]
    link, then = str(state.data.get("link", "")), Then(str(state.data.get("then", Then.MENU.value)))
    if then is Then.NEW_CODE:
        await _send_new_code(update, context, link, code=text)
    else:
        access = await service.open_management(context.bot_data.uow(), link, requester(update), code=text)
        await reply(update, texts.UNLOCKED if then is Then.MENU else texts.CODE_ACCEPTED)
        await continue_with(update, context, access.event, then)
    await flows.end_flow(context.bot_data.uow(), chat_id, user_id)


async def on_edit_value(update: Update, context: SkedjitContext, state: flows.FlowState, text: str) -> None:
    """Takes the new value of the field the person picked."""
    chat_id, user_id = update.effective_chat.id, update.effective_user.id  # type: ignore[union-attr]
    await apply_edit(update, context, str(state.data["link"]), Field(str(state.data["field"])), text)
    await flows.end_flow(context.bot_data.uow(), chat_id, user_id)


async def editevent(update: Update, context: SkedjitContext) -> None:
    """Changes one field of an event, or lets the user pick one with buttons in a private chat."""
    assert update.effective_message is not None
    link, code, rest = _split_link_and_code(command_args(update.effective_message))
    if link is None:
        await reply(update, texts.EDIT_USAGE)
        return
    field_word, _, value = rest.partition(" ")
    field = texts.FIELD_WORDS.get(field_word.lower())
    if field is None or not value.strip():
        if is_private(update):
            await open_menu(update, context, link, then=Then.EDIT, code=code)
        elif await _group_check_creator(update, context, link):
            await reply(update, texts.EDIT_USAGE)
        return
    await apply_edit(update, context, link, field, value, code=code)


async def apply_edit(
    update: Update, context: SkedjitContext, link: str, field: Field, value: str, *, code: str | None = None
) -> None:
    data = context.bot_data
    value = value.strip()
    if field in CLEARABLE_FIELDS and value == texts.CLEAR_WORD:
        value = ""
    try:
        edited = await service.edit_event(
            data.uow(), link, requester(update), field, value, code=code, language=i18n.current()
        )
    except NotAllowed:
        await _refused(update, context, link, then=Then.EDIT)
        return
    event = edited.event
    assert update.effective_message is not None
    if field is Field.REMINDERS:
        # The card does not show reminders: say what is set now.
        which = describe_offsets(event.reminder_minutes)
        await reply(update, texts.REMINDERS_SET.format(title=texts.esc(event.title), which=which))
    elif event.is_poll:
        # A poll's title: its cards follow; an event's card here would show no times to vote on.
        await reply(update, poll_texts.UPDATED)
    elif is_private(update):
        await reply(update, texts.UPDATED)
        await cards.reply_card(update.effective_message, data, event)
    else:
        # A group already has the card, which is about to change; a second copy would be noise, and
        # every message counts against the group's 20 a minute.
        await reply(update, texts.UPDATED_IN_GROUP)
    data.card_sync.kick()
    for person in edited.promoted:
        await rsvp.tell_promoted(context, person.user_id, event.headline)


async def reminders_command(update: Update, context: SkedjitContext) -> None:
    """Shows an event's reminders, or changes them: /reminders LINK 1d 1h, or off."""
    assert update.effective_message is not None
    link, code, rest = _split_link_and_code(command_args(update.effective_message))
    if link is None:
        await reply(update, texts.REMINDERS_USAGE)
        return
    if rest:
        await apply_edit(update, context, link, Field.REMINDERS, rest, code=code)
        return
    event = await service.get_event(context.bot_data.uow(), link)
    await reply(
        update,
        texts.REMINDERS_SHOW.format(
            title=texts.esc(event.title), which=describe_offsets(event.reminder_minutes), link=link
        ),
    )


async def _group_check_creator(update: Update, context: SkedjitContext, link: str) -> EventView | None:
    """In a group: the event for its creator; anyone else is pointed to the private chat."""
    try:
        return await service.check_manager(context.bot_data.uow(), link, requester(update))
    except NotAllowed:
        await _not_creator_here(update, context, link)
        return None


async def _refused(update: Update, context: SkedjitContext, link: str, *, then: Then) -> None:
    """Someone who may not manage the event asked to: in a private chat, ask for its code (then do
    ``then``); in a group, point to the private chat, where a code can be typed safely."""
    if is_private(update):
        await open_menu(update, context, link, then=then)
    else:
        await _not_creator_here(update, context, link)


async def _not_creator_here(update: Update, context: SkedjitContext, link: str) -> None:
    await reply(
        update,
        texts.GROUP_NOT_CREATOR,
        keyboards.open_private(context.bot_data.bot_username, keyboards.MANAGE_PREFIX + link),
    )


async def deleteevent(update: Update, context: SkedjitContext) -> None:
    """Asks to confirm cancelling an event, for its creator or a holder of its code."""
    assert update.effective_message is not None
    link, code, _ = _split_link_and_code(command_args(update.effective_message))
    if link is None:
        await reply(update, texts.DELETE_USAGE)
        return
    if is_private(update):
        await open_menu(update, context, link, then=Then.DELETE, code=code)
    elif event := await _group_check_creator(update, context, link):
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
    if code is not None:
        await _send_new_code(update, context, link, code=code)
    else:
        await open_menu(update, context, link, then=Then.NEW_CODE)


async def _send_new_code(
    update: Update, context: SkedjitContext, link: str, *, code: str | None = None
) -> None:
    data = context.bot_data
    new = await service.rotate_code(
        data.uow(), link, requester(update), code=code, rounds=data.settings.bcrypt_rounds
    )
    await reply(update, texts.NEW_CODE.format(title=texts.esc(new.event.title), code=new.secret_code))


async def export(update: Update, context: SkedjitContext) -> None:
    """Sends the list of who answered what, as a CSV file, privately: to the creator from anywhere, to a
    code holder in their private chat."""
    assert update.effective_message is not None and update.effective_user is not None
    data = context.bot_data
    link, code, _ = _split_link_and_code(command_args(update.effective_message))
    if link is None:
        await reply(update, texts.EXPORT_USAGE)
        return
    try:
        answers = await service.answer_list(data.uow(), link, requester(update), code=code)
    except NotAllowed:
        await _refused(update, context, link, then=Then.MENU)
        return
    user = update.effective_user
    # The list goes to the person's private chat: in their language, whichever chat asked for it.
    with i18n.use(await data.languages.of_person(data, user.id, user.language_code)):
        document = InputFile(texts.answers_csv(answers), filename=texts.answers_filename(answers.event))
        caption = texts.EXPORT_CAPTION.format(title=texts.esc(answers.event.title))
    if is_private(update):
        await update.effective_message.reply_document(
            document, caption=caption, parse_mode="HTML", do_quote=False
        )
        return
    # A list of names is not for the whole group: it goes to the creator's private chat.
    try:
        await context.bot.send_document(
            update.effective_user.id, document, caption=caption, parse_mode="HTML"
        )
    except Forbidden:
        await reply(
            update,
            texts.PRIVATE_ONLY,
            keyboards.open_private(data.bot_username, keyboards.MANAGE_PREFIX + link),
        )
        return
    await reply(update, texts.EXPORT_SENT_PRIVATELY)


async def skipdate(update: Update, context: SkedjitContext) -> None:
    """Skips the next date of a series (or another date to come); those going to it are told."""
    assert update.effective_message is not None
    data = context.bot_data
    link, code, rest = _split_link_and_code(command_args(update.effective_message))
    if link is None:
        await reply(update, texts.SKIP_USAGE)
        return
    try:
        skipped = await series.skip_date(
            data.uow(), link, requester(update), day=rest or None, code=code, language=i18n.current()
        )
    except NotAllowed:
        await _refused(update, context, link, then=Then.MENU)
        return
    event = skipped.event
    day = format_day(skipped.day, event.timezone)
    if event.occurrence_start is None or event.starts_at <= skipped.day:
        await reply(update, texts.SKIPPED_LAST.format(title=texts.esc(event.title), day=day))
    else:
        following = format_when(event.starts_at, event.timezone)
        await reply(
            update,
            texts.SKIPPED_DATE.format(title=texts.esc(event.title), day=day, next=texts.esc(following)),
        )
    data.card_sync.kick()
    languages = await data.languages.of_chats(data, [person.user_id for person in skipped.told])
    for person in skipped.told:
        with i18n.use(languages[person.user_id]):
            told = texts.SKIPPED_TOLD.format(
                title=texts.esc(event.title),
                day=format_day(skipped.day, event.timezone),
                link=texts.deep_link(data.bot_username, event.link_id),
            )
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(person.user_id, told, parse_mode="HTML")


_MOVE_TO = re.compile(r"\s+(?:to|->|→)\s+", re.IGNORECASE)


async def movedate(update: Update, context: SkedjitContext) -> None:
    """Moves one date of a series (named by its day as the series has it) to a new time."""
    assert update.effective_message is not None
    data = context.bot_data
    link, code, rest = _split_link_and_code(command_args(update.effective_message))
    parts = _MOVE_TO.split(rest, maxsplit=1)
    if link is None or len(parts) != 2 or not all(part.strip() for part in parts):
        await reply(update, texts.MOVE_USAGE)
        return
    day, when = (part.strip() for part in parts)
    try:
        moved = await series.move_date(
            data.uow(), link, requester(update), day, when, code=code, language=i18n.current()
        )
    except NotAllowed:
        await _refused(update, context, link, then=Then.MENU)
        return
    event = moved.event
    await reply(
        update,
        texts.MOVED_DATE.format(
            title=texts.esc(event.title),
            day=format_day(moved.day, event.timezone),
            when=texts.esc(format_when(moved.to, event.timezone)),
        ),
    )
    data.card_sync.kick()


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
    await reply(update, texts.my_events(events, data.bot_username))


async def on_button(update: Update, context: SkedjitContext) -> None:
    """Acts on a management button, for someone who may manage the event (checked on every press)."""
    query = update.callback_query
    assert query is not None
    callback = keyboards.decode_callback(query.data)
    data = context.bot_data
    link = callback.link_id
    assert link is not None
    who = requester(update)
    if callback.action == keyboards.DELETE_YES:
        event = await service.delete_event(data.uow(), link, who)
        await query.answer(texts.CANCELLED_ALERT)
        await query.edit_message_text(texts.DELETED.format(title=texts.esc(event.title)), parse_mode="HTML")
        data.card_sync.kick()
        return
    event = await service.check_manager(data.uow(), link, who)
    if callback.action == keyboards.DELETE_NO:
        await query.answer()
        await query.edit_message_text(texts.DELETE_KEPT)
        return
    if not is_private(update):
        await query.answer(texts.PRIVATE_ONLY, show_alert=True)
        return
    await query.answer()
    if callback.action == keyboards.EDIT_PICK:
        await continue_with(update, context, event, Then.EDIT)
    elif callback.action == keyboards.DELETE_ASK:
        await continue_with(update, context, event, Then.DELETE)
    elif callback.action == keyboards.NEW_CODE:
        await continue_with(update, context, event, Then.NEW_CODE)
    elif callback.action == keyboards.EDIT_FIELD and callback.field is not None:
        assert update.effective_user is not None and update.effective_chat is not None
        await flows.save_flow(
            data.uow(),
            update.effective_chat.id,
            update.effective_user.id,
            Step.EDIT_VALUE,
            {"link": link, "field": callback.field.value},
        )
        await reply(update, texts.ASK_VALUE[callback.field].format(zone=texts.esc(event.timezone)))
