"""All handlers are registered here, in one place, in the order they are tried."""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import keyboards, languages
from bot.handlers import basics, create, errors, flows, guards, inline, manage, polls, rsvp, settings

# Only new messages: edited ones would otherwise run a command a second time.
NEW_MESSAGES = filters.UpdateType.MESSAGE
PRIVATE = NEW_MESSAGES & filters.ChatType.PRIVATE
WIZARD_BUTTONS = f"^({keyboards.WIZARD_CREATE}|{keyboards.WIZARD_CANCEL})$"
RSVP_BUTTONS = f"^{keyboards.RSVP}:"

# The most frequent first: PTB tries each command handler in turn until one matches.
COMMANDS = {
    "start": basics.start,
    "event": basics.event_command,
    "help": basics.help_command,
    "newevent": create.newevent,
    "editevent": manage.editevent,
    "deleteevent": manage.deleteevent,
    "newcode": manage.newcode,
    "myevents": manage.myevents,
    "timezone": settings.timezone,
    "reminders": manage.reminders_command,
    "export": manage.export,
    "skipdate": manage.skipdate,
    "movedate": manage.movedate,
    "settings": settings.settings,
    "poll": polls.poll_command,
    "closepoll": polls.closepoll,
    "editpoll": polls.editpoll,
    "language": settings.language,
}


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(object, languages.set_update_language), group=-4)
    application.add_handler(MessageHandler(guards.UNHANDLED_KINDS, guards.drop_unhandled_kind), group=-3)
    application.add_handler(MessageHandler(NEW_MESSAGES & filters.COMMAND, guards.brake_floods), group=-2)
    application.add_handler(MessageHandler(guards.CODES_IN_GROUPS, guards.refuse_codes_in_groups), group=-1)
    application.add_handler(guards.ForeignButtonHandler(), group=-1)
    for name, callback in COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGES))
    application.add_handler(CommandHandler("cancel", flows.cancel, filters=PRIVATE))
    application.add_handler(CommandHandler("skip", flows.skip, filters=PRIVATE))
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, flows.on_text))
    application.add_handler(CallbackQueryHandler(create.on_wizard_button, pattern=WIZARD_BUTTONS))
    application.add_handler(CallbackQueryHandler(create.on_repeat_button, pattern=f"^{keyboards.REPEAT}:"))
    application.add_handler(CallbackQueryHandler(rsvp.on_rsvp, pattern=RSVP_BUTTONS))
    application.add_handler(CallbackQueryHandler(polls.on_vote, pattern=f"^{keyboards.POLL_VOTE}:"))
    application.add_handler(
        CallbackQueryHandler(
            polls.on_flow_button, pattern=f"^({keyboards.POLL_WIZARD_CREATE}|{keyboards.POLL_WIZARD_CANCEL})$"
        )
    )
    application.add_handler(CallbackQueryHandler(rsvp.on_guest, pattern=f"^{keyboards.GUEST}:"))
    application.add_handler(CallbackQueryHandler(rsvp.on_closed, pattern=f"^{keyboards.CLOSED}:"))
    application.add_handler(
        CallbackQueryHandler(settings.on_settings_button, pattern=f"^{keyboards.SETTINGS}:")
    )
    application.add_handler(CallbackQueryHandler(settings.on_zone_choice, pattern=f"^{keyboards.ZONE}:"))
    application.add_handler(
        CallbackQueryHandler(settings.on_language_button, pattern=f"^{keyboards.LANGUAGE}:")
    )
    application.add_handler(CallbackQueryHandler(manage.on_button))
    application.add_handler(InlineQueryHandler(inline.on_inline_query))
    application.add_handler(ChosenInlineResultHandler(inline.on_chosen_inline_result))
    application.add_error_handler(errors.on_error)  # type: ignore[arg-type]
