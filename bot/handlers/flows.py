"""Guided flows in private chats, as a table: the step a person is at decides what their next message
does. The state lives in the database (``core.flows``), so a flow started on one bot process can be
continued on another."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot import texts
from bot.context import SkedjitContext
from bot.handlers import create, manage, polls
from bot.handlers.common import reply
from bot.handlers.steps import Step
from core import flows

StepHandler = Callable[[Update, SkedjitContext, flows.FlowState, str], Awaitable[None]]

# Like the ``states`` of python-telegram-bot's ConversationHandler: each step, and who takes its answer.
# Step.NEW_REPEAT and Step.NEW_CONFIRM are answered by buttons (create.on_repeat_button and
# create.on_wizard_button); text there asks again or says the step has passed.
STEPS: dict[str, StepHandler] = {
    Step.NEW_TITLE: create.on_title,
    Step.NEW_WHEN: create.on_when,
    Step.NEW_REPEAT: create.on_repeat_text,
    Step.NEW_DETAILS: create.on_details,
    Step.CODE: manage.on_code,
    Step.EDIT_VALUE: manage.on_edit_value,
    Step.POLL_TITLE: polls.on_flow_title,
    Step.POLL_OPTIONS: polls.on_flow_option,
    Step.POLL_DEADLINE: polls.on_flow_deadline,
    Step.POLL_CONFIRM: polls.on_flow_confirm_text,
}


async def on_text(update: Update, context: SkedjitContext) -> None:
    """Takes the next answer in whatever guided flow the user is in."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    state = await flows.get_flow(context.bot_data.uow(), message.chat_id, user.id)
    handler = STEPS.get(state.step) if state is not None else None
    if state is None or handler is None:
        await reply(update, texts.NOT_UNDERSTOOD if state is None else texts.WIZARD_EXPIRED)
        return
    await handler(update, context, state, (message.text or "").strip())


async def skip(update: Update, context: SkedjitContext) -> None:
    """Skips the optional details step of the guided /newevent."""
    await on_text(update, context)


async def cancel(update: Update, context: SkedjitContext) -> None:
    """Leaves whatever guided flow the user is in."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    had_one = await flows.end_flow(context.bot_data.uow(), message.chat_id, user.id)
    await reply(update, texts.CANCELLED_FLOW if had_one else texts.NOTHING_TO_CANCEL)
