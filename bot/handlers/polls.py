"""Time polls: /poll, votes on the card, /closepoll, /editpoll, and the messages owed once decided."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import Bot, Message, Update, User
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import i18n, keyboards, poll_texts
from bot.cards import remember, render
from bot.context import BotData, SkedjitContext
from bot.handlers.common import command_args, is_group_admin, is_private, reply, requester, sender_kind
from bot.handlers.create import SKIP, offer_claim
from bot.handlers.manage import _split_link_and_code
from bot.handlers.steps import Step
from bot.poll_cards import reply_poll_card
from bot.sending import send_important
from bot.texts import CANCELLED_FLOW, NO_IDENTITY
from bot.wire import NO_PREVIEW
from core import cards as card_records
from core import chat_settings, dates, flows, polls
from core.clock import utcnow
from core.errors import DomainError, FlowExpired, InvalidField, NotAllowed
from core.events import EventView, clean_title

log = logging.getLogger(__name__)

NOTICE_BATCH = 100


def parse_poll(args: str) -> tuple[str, list[str], str | None]:
    """Split ``title | time | time ... | closes WHEN``; ``InvalidField`` when the deadline is not last."""
    parts = [part.strip() for part in args.split("|")]
    title, rest = parts[0], [part for part in parts[1:] if part]
    closes: str | None = None
    options: list[str] = []
    closes_words = poll_texts.closes_words()
    for index, part in enumerate(rest):
        word, _, value = part.partition(" ")
        if word.lower() in closes_words:
            if index != len(rest) - 1:
                raise InvalidField("poll", "text_after_deadline")
            closes = value.strip() or part
        else:
            options.append(part)
    return title, options, closes


async def poll_command(update: Update, context: SkedjitContext) -> None:
    """/poll Title | time | time ... [| closes WHEN]: posts the poll's card; the code goes privately."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    data = context.bot_data
    kind = sender_kind(message)
    if kind is not None:
        await reply(update, NO_IDENTITY[kind])
        return
    args = command_args(message)
    if not args:
        if is_private(update):
            await flows.save_flow(data.uow(), message.chat_id, user.id, Step.POLL_TITLE, {})
            await reply(update, poll_texts.GUIDED_TITLE)
        else:
            await reply(update, poll_texts.usage())
        return
    setup = await chat_settings.setup_for_new_event(
        data.uow(), message.chat_id, data.settings.default_timezone
    )
    if setup.admins_only and not is_private(update) and not await is_group_admin(update, context):
        await reply(update, poll_texts.CREATE_ADMINS_ONLY)
        return
    try:
        title, options, closes = parse_poll(args)
        async with data.create_gate:
            created = await polls.create_poll(
                data.uow(),
                title=title,
                options=options,
                closes=closes,
                timezone=setup.timezone,
                creator_user_id=user.id,
                chat_id=message.chat_id,
                rounds=data.settings.bcrypt_rounds,
                origin=f"{message.chat_id}:{message.message_id}",
                language=i18n.current(),
            )
    except InvalidField as exc:
        await reply(update, poll_texts.poll_error(exc))
        return
    await _publish(message, context, created, user)


async def _publish(message: Message, context: SkedjitContext, created: polls.CreatedPoll, user: User) -> None:
    """Posts the new poll's card where it was asked for; its code goes to its creator privately."""
    data = context.bot_data
    link = created.poll.event.link_id
    if created.repeated:
        # The same update again: post the card only if nobody has, nor is about to (as for events).
        for _ in range(3):
            decision = await card_records.claim_publication(data.uow(), link, message.chat_id)
            if decision.post:
                await reply_poll_card(message, data, created.poll)
                await offer_claim(message, data, link, user.id, user.mention_html())
                return
            if decision.wait <= 0:
                return
            await asyncio.sleep(min(decision.wait, card_records.PUBLISH_LEASE.total_seconds()) + 0.1)
        return
    await reply_poll_card(message, data, created.poll)
    with i18n.use(await data.languages.of_person(data, user.id, user.language_code)):
        code_text = poll_texts.code_dm(created.poll.event, created.secret_code)
    if message.chat.type == "private":
        await send_important(context.bot, message.chat_id, code_text)
        return
    try:
        await send_important(context.bot, user.id, code_text)
    except TelegramError as exc:
        log.info("the secret code of a poll could not be sent privately: %s", exc)
        await offer_claim(message, data, created.poll.event.link_id, user.id, user.mention_html())


async def show_poll(
    update: Update, context: SkedjitContext, link: str, *, viewer_timezone: str | None = None
) -> None:
    """/event LINK, or a tap on its link, for a poll: its card with the voting buttons (in a private
    chat whose zone differs from the poll's, each time in the reader's zone too)."""
    poll = await polls.view_poll(context.bot_data.uow(), link)
    assert update.effective_message is not None
    await reply_poll_card(update.effective_message, context.bot_data, poll, viewer_timezone=viewer_timezone)


async def on_vote(update: Update, context: SkedjitContext) -> None:
    """A tap on a time: the tapper's answer for it moves on; the toast says the new one."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    callback = keyboards.decode_callback(query.data)
    assert callback.link_id is not None and callback.option is not None
    data = context.bot_data
    try:
        outcome = await polls.vote(
            data.uow(),
            callback.link_id,
            callback.option,
            user_id=user.id,
            name=user.full_name,
            tap_id=query.id,
        )
    except DomainError as exc:
        await query.answer(poll_texts.describe(exc)[:200], show_alert=True)
        data.card_sync.kick()
        return
    await query.answer(poll_texts.vote_toast(outcome.option_starts_at, outcome.timezone, outcome.answer))
    data.card_sync.kick()


async def closepoll(update: Update, context: SkedjitContext) -> None:
    """/closepoll LINK [CODE] [N]: decides the poll (the best time, or the N-th) into the event."""
    assert update.effective_message is not None
    link, code, rest = _split_link_and_code(command_args(update.effective_message))
    number: int | None = None
    if link is None or (rest and not (rest.isascii() and rest.isdigit() and len(rest) <= 2)):
        await reply(update, poll_texts.CLOSE_USAGE)
        return
    if rest:
        number = int(rest)
    data = context.bot_data
    try:
        decided = await polls.close_poll(data.uow(), link, requester(update), number=number, code=code)
    except DomainError as exc:
        await reply(update, ("⚠️ " if isinstance(exc, InvalidField) else "") + poll_texts.describe(exc))
        return
    data.card_sync.kick()
    event = decided.event
    await reply(
        update, poll_texts.closed_reply(event, len(decided.going), len(decided.maybe), len(decided.waiting))
    )
    # The event's card and the voters' messages are owed in the database; send them now.
    await send_notices(context.bot, data)


async def editpoll(update: Update, context: SkedjitContext) -> None:
    """/editpoll LINK [CODE] title X | options A | B ...: changes a poll not decided yet."""
    assert update.effective_message is not None
    link, code, rest = _split_link_and_code(command_args(update.effective_message))
    what, _, value = rest.partition(" ")
    if link is None or what.lower() not in ("title", "options", "times") or not value.strip():
        await reply(update, poll_texts.EDIT_USAGE)
        return
    part = "title" if what.lower() == "title" else "options"
    data = context.bot_data
    try:
        edited = await polls.edit_poll(
            data.uow(), link, requester(update), part, value.strip(), code=code, language=i18n.current()
        )
    except NotAllowed as exc:
        await reply(update, poll_texts.describe(exc))
        return
    except DomainError as exc:
        await reply(update, ("⚠️ " if isinstance(exc, InvalidField) else "") + poll_texts.describe(exc))
        return
    data.card_sync.kick()
    if edited.dropped_voters:
        await reply(update, poll_texts.updated_dropped(edited.dropped_voters))
        await send_notices(context.bot, data)
    else:
        await reply(update, poll_texts.UPDATED)


async def run_due(bot: Bot, data: BotData) -> None:
    """For the reminders loop: decide the polls whose deadline passed, then send what is owed."""
    while await polls.close_due_polls(data.uow()):
        data.card_sync.kick()
    await send_notices(bot, data)


async def send_notices(bot: Bot, data: BotData) -> int:
    """Send the notices owed (the event's card where the poll was, messages to voters), each once."""
    sent = 0
    while batch := await polls.claim_notices(data.uow(), limit=NOTICE_BATCH):
        # Each notice reads in its chat's language: the group's for the event's card, the person's for
        # a message to them. One lookup for the whole batch.
        languages = await data.languages.of_chats(data, [notice.chat_id for notice in batch])
        for notice in batch:
            if not await polls.start_notice(data.uow(), notice.notice_id):
                continue
            try:
                with i18n.use(languages.get(notice.chat_id)):
                    await _send_notice(bot, data, notice)
                sent += 1
            except (Forbidden, BadRequest) as exc:
                # Never opened the bot, blocked it, or the group is gone: nothing to retry.
                log.info("a poll notice was not delivered: %s", exc.message)
            except TelegramError as exc:
                log.warning("a poll notice failed: %s", exc)
        if len(batch) < NOTICE_BATCH:
            break
    return sent


async def _send_notice(bot: Bot, data: BotData, notice: polls.DueNotice) -> None:
    event = notice.event
    if notice.kind == polls.EVENT_CARD:
        if event.is_cancelled:
            return
        text, markup = render(data, event, private=notice.chat_id > 0, show_names=True)
        message = await bot.send_message(
            notice.chat_id, text, parse_mode="HTML", reply_markup=markup, link_preview_options=NO_PREVIEW
        )
        await remember(data, event, message)
    elif notice.kind == polls.DECIDED_DM:
        await send_important(
            bot, notice.chat_id, poll_texts.decided_dm(event, notice.status, data.bot_username)
        )
    elif notice.kind == polls.DROPPED_DM:
        await send_important(bot, notice.chat_id, poll_texts.dropped_dm(event, data.bot_username))


# -- the guided flow in a private chat: title, then times one per message, then a deadline, then a preview


async def on_flow_title(update: Update, context: SkedjitContext, state: flows.FlowState, text: str) -> None:
    data = context.bot_data
    chat_id, user_id = _chat_and_user(update)
    title = clean_title(text)
    zone = await chat_settings.chat_timezone(data.uow(), chat_id, data.settings.default_timezone)
    await flows.save_flow(
        data.uow(), chat_id, user_id, Step.POLL_OPTIONS, {"title": title, "zone": zone, "times": []}
    )
    await reply(update, poll_texts.guided_options(zone))


async def on_flow_option(update: Update, context: SkedjitContext, state: flows.FlowState, text: str) -> None:
    data = context.bot_data
    chat_id, user_id = _chat_and_user(update)
    zone = str(state.data["zone"])
    times = [str(t) for t in state.data.get("times", [])]  # type: ignore[attr-defined]
    if poll_texts.is_done(text):
        if len(times) < polls.MIN_OPTIONS:
            await reply(update, poll_texts.GUIDED_NEED_MORE)
            return
        await flows.save_flow(data.uow(), chat_id, user_id, Step.POLL_DEADLINE, dict(state.data))
        await reply(update, poll_texts.GUIDED_DEADLINE)
        return
    try:
        span = dates.parse_when(text, zone, language=i18n.current())
        if any(datetime.fromisoformat(t) == span.starts_at for t in times):
            raise InvalidField(
                "options", "duplicate", option=len(times) + 1, instant=span.starts_at, timezone=zone
            )
    except InvalidField as exc:
        await reply(update, "⚠️ " + poll_texts.describe(exc))
        return
    # The instant, not the text: read again later, "tomorrow" could mean another day.
    times = [*times, span.starts_at.isoformat()]
    answers = {**state.data, "times": times}
    if len(times) >= polls.MAX_OPTIONS:
        await flows.save_flow(data.uow(), chat_id, user_id, Step.POLL_DEADLINE, answers)
        await reply(update, poll_texts.GUIDED_DEADLINE)
        return
    await flows.save_flow(data.uow(), chat_id, user_id, Step.POLL_OPTIONS, answers)
    when = poll_texts.format_short(span.starts_at, zone)
    await reply(update, poll_texts.guided_option_taken(len(times), when))


async def on_flow_deadline(
    update: Update, context: SkedjitContext, state: flows.FlowState, text: str
) -> None:
    data = context.bot_data
    chat_id, user_id = _chat_and_user(update)
    zone = str(state.data["zone"])
    starts = [datetime.fromisoformat(str(t)) for t in state.data["times"]]  # type: ignore[attr-defined]
    closes = None
    if text != SKIP:
        try:
            closes = polls.parse_deadline(
                text, [dates.When(s, None) for s in starts], zone, utcnow(), language=i18n.current()
            )
        except InvalidField as exc:
            await reply(update, "⚠️ " + poll_texts.describe(exc))
            return
    answers = {**state.data, "closes": closes.isoformat() if closes else None}
    await flows.save_flow(data.uow(), chat_id, user_id, Step.POLL_CONFIRM, answers)
    card = poll_texts.poll_card(_preview(answers), "").rsplit("\n\n🔗", 1)[0]
    await reply(update, poll_texts.GUIDED_PREVIEW.format(card=card), keyboards.poll_wizard_confirm())


async def on_flow_confirm_text(
    update: Update, context: SkedjitContext, state: flows.FlowState, text: str
) -> None:
    await reply(update, poll_texts.GUIDED_USE_BUTTONS, keyboards.poll_wizard_confirm())


def _preview(answers: dict[str, object]) -> polls.PollView:
    starts = [datetime.fromisoformat(str(t)) for t in answers["times"]]  # type: ignore[attr-defined]
    closes = datetime.fromisoformat(str(answers["closes"])) if answers.get("closes") else None
    event = EventView(
        link_id="",
        title=str(answers["title"]),
        description=None,
        location=None,
        starts_at=min(starts),
        ends_at=None,
        timezone=str(answers["zone"]),
        creator_user_id=None,
        chat_id=None,
        sequence=0,
        created_at=min(starts),
        updated_at=min(starts),
        cancelled_at=None,
        kind="poll",
        poll_closes_at=closes,
    )
    return polls.PollView(
        event, tuple(polls.OptionView(n, n, s, None) for n, s in enumerate(starts, start=1))
    )


async def on_flow_button(update: Update, context: SkedjitContext) -> None:
    """Creates the previewed poll exactly as shown, or drops it."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None and query.message is not None
    data = context.bot_data
    chat_id = query.message.chat.id
    callback = keyboards.decode_callback(query.data)
    state = await flows.take_flow(data.uow(), chat_id, user.id, Step.POLL_CONFIRM)
    if state is None:
        raise FlowExpired()
    await query.answer()
    await query.edit_message_reply_markup(None)
    if callback.action == keyboards.POLL_WIZARD_CANCEL:
        await reply(update, CANCELLED_FLOW)
        return
    preview = _preview(state.data)
    try:
        async with data.create_gate:
            created = await polls.create_poll(
                data.uow(),
                title=preview.event.title,
                options=[o.starts_at for o in preview.options],
                closes=preview.event.poll_closes_at,
                timezone=preview.event.timezone,
                creator_user_id=user.id,
                chat_id=chat_id,
                rounds=data.settings.bcrypt_rounds,
                origin=f"pollwizard:{chat_id}:{query.message.message_id}",
            )
    except InvalidField as exc:  # a time passed while the preview waited
        await reply(update, poll_texts.poll_error(exc))
        return
    await _publish(query.message, context, created, user)  # type: ignore[arg-type]


def _chat_and_user(update: Update) -> tuple[int, int]:
    assert update.effective_chat is not None and update.effective_user is not None
    return update.effective_chat.id, update.effective_user.id
