"""Builds the Application: settings in, handlers registered, database opened and closed with it."""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot import handlers
from bot.context import BotData, SkedjitContext
from bot.observe import LoggingApplication
from bot.reminders import send_due_reminders
from core import dates
from core.config import Settings
from core.storage.engine import make_engine, make_session_factory
from core.storage.migrate import migrate

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = [
    BotCommand("newevent", "Create an event"),
    BotCommand("myevents", "Your upcoming events"),
    BotCommand("event", "Show an event by its link"),
    BotCommand("editevent", "Change an event"),
    BotCommand("deleteevent", "Cancel an event"),
    BotCommand("newcode", "Replace an event's secret code"),
    BotCommand("timezone", "Show or set your timezone"),
    BotCommand("reminders", "Show or change an event's reminders"),
    BotCommand("cancel", "Stop what we're doing"),
    BotCommand("help", "How this works"),
]
GROUP_COMMANDS = [
    BotCommand("newevent", "Create an event: when | title | place"),
    BotCommand("event", "Show an event by its link"),
    BotCommand("editevent", "Change an event (its creator)"),
    BotCommand("deleteevent", "Cancel an event (its creator)"),
    BotCommand("timezone", "Show or set this group's timezone"),
    BotCommand("help", "How this works"),
]


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Return a ready-to-run Application; ``request`` replaces the network in tests."""
    builder = (
        ApplicationBuilder()
        .application_class(LoggingApplication)
        .token(settings.require_token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
        # PTB calls bot_data() once; a closure hands it the settings without a global.
        .context_types(ContextTypes(context=SkedjitContext, bot_data=lambda: BotData(settings)))  # type: ignore[call-overload]
        .concurrent_updates(True)
        .post_init(_open)
        .post_shutdown(_close)
    )
    if rate_limit:
        # Keeps outgoing messages within Telegram's limits (30/s overall, 20/min per group) and
        # retries a send that got 429 after the time Telegram asks for.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    application = builder.build()
    handlers.register(application)
    return application


async def _remind(context: SkedjitContext) -> None:
    await send_due_reminders(context.bot, context.bot_data)


async def _open(application: Application) -> None:  # type: ignore[type-arg]
    """Opens the database, brings its schema up to date, and tells Telegram the command menu."""
    data: BotData = application.bot_data
    data.bot_username = application.bot.username
    data.engine = make_engine(data.settings.database_url)
    data.session_factory = make_session_factory(data.engine)
    await migrate(data.engine)
    # dateparser loads its language data lazily; do it now, not on the first user's message.
    await asyncio.to_thread(dates.warm_up)
    await application.bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    await application.bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())
    if application.job_queue is not None:
        application.job_queue.run_repeating(_remind, interval=data.settings.reminder_poll_seconds, first=1)
    log.info("bot @%s ready", data.bot_username)


async def _close(application: Application) -> None:  # type: ignore[type-arg]
    data: BotData = application.bot_data
    await data.refresher.drain()
    if data.engine is not None:
        await data.engine.dispose()
