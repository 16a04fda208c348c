"""Builds the Application: settings in, handlers registered, database opened and closed with it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot import handlers, i18n
from bot.context import BotData, SkedjitContext
from bot.handlers.polls import run_due as run_due_polls
from bot.i18n import N_, _
from bot.limits import SharedRateLimiter
from bot.observe import LoggingApplication
from bot.reminders import send_due_reminders
from core import budgets, dates, series
from core import cards as card_records
from core.clock import utcnow
from core.config import Settings
from core.errors import DatabaseUnavailable
from core.storage.engine import make_autocommit_factory, make_engine, make_session_factory, open_direct_views
from core.storage.migrate import migrate

log = logging.getLogger(__name__)


class StartupError(Exception):
    """A start-up failure an operator can fix; the message says what and where, in one line."""


# Views read and record cards in batches (core/storage/direct.py): one batch of each kind in flight
# at a time is plenty (a batch of 100 takes a few ms); answer taps, one statement each, take the rest.
VIEW_CONNECTIONS = 4

# Allocations between two collections of the youngest generation (CPython's default is 700).
GC_YOUNG_THRESHOLD = 20_000

# Pending card edits may wait on the rate limiter; a stop must not wait for them long.
SHUTDOWN_EDITS_TIMEOUT = 5.0
# How often a process says it is alive, so the processes share the overall sending rate.
HEARTBEAT_SECONDS = 10.0

# The command menu, in every language (setMyCommands with a language_code; English is the default).
PRIVATE_COMMANDS = [
    ("newevent", N_("Create an event")),
    ("poll", N_("Ask when people can make it")),
    ("myevents", N_("Your upcoming events")),
    ("event", N_("Show an event by its link")),
    ("editevent", N_("Change an event")),
    ("deleteevent", N_("Cancel an event")),
    ("newcode", N_("Replace an event's secret code")),
    ("timezone", N_("Show or set your timezone")),
    ("language", N_("Choose your language")),
    ("reminders", N_("Show or change an event's reminders")),
    ("closepoll", N_("Decide a poll into an event")),
    ("editpoll", N_("Change a poll's title or times")),
    ("export", N_("Who answered, as a spreadsheet")),
    ("skipdate", N_("Skip a date of a series")),
    ("movedate", N_("Move one date of a series")),
    ("cancel", N_("Stop what we're doing")),
    ("help", N_("How this works")),
]
GROUP_COMMANDS = [
    ("newevent", N_("Create an event: when | title | place")),
    ("poll", N_("Time poll: title | time | time …")),
    ("closepoll", N_("Decide a poll (its creator)")),
    ("event", N_("Show an event by its link")),
    ("editevent", N_("Change an event (its creator)")),
    ("deleteevent", N_("Cancel an event (its creator)")),
    ("timezone", N_("Show or set this group's timezone")),
    ("settings", N_("Who may create events here (admins)")),
    ("language", N_("This group's language (admins)")),
    ("help", N_("How this works")),
]


def command_menu(commands: list[tuple[str, str]], language: str) -> list[BotCommand]:
    with i18n.use(language):
        return [BotCommand(name, _(description)) for name, description in commands]


async def set_command_menus(bot: Bot) -> None:
    """The command menu for private chats and for groups: in DEFAULT_LANGUAGE for anyone, and in each
    language the bot speaks for people whose Telegram app is in it."""
    codes: list[tuple[str | None, str]] = [(None, i18n.default())]
    # Telegram names languages by two letters: Brazilian Portuguese is "pt" there.
    codes += [(language.split("_")[0], language) for language in i18n.LANGUAGES]
    for code, language in codes:
        await bot.set_my_commands(
            command_menu(PRIVATE_COMMANDS, language),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=code,
        )
        await bot.set_my_commands(
            command_menu(GROUP_COMMANDS, language), scope=BotCommandScopeAllGroupChats(), language_code=code
        )


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    background: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Return a ready-to-run Application; ``request`` replaces the network in tests.

    ``background=False`` leaves card edits to whoever calls ``bot_data.card_sync.until_idle`` (tests
    that want to see each step), instead of this process's sync loop.
    """
    i18n.set_default(settings.default_language)
    limiter = SharedRateLimiter() if rate_limit else None
    builder = (
        ApplicationBuilder()
        .application_class(LoggingApplication)
        .token(settings.require_token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
        # PTB calls bot_data() once; a closure hands it the settings without a global.
        .context_types(
            ContextTypes(  # type: ignore[call-overload]
                context=SkedjitContext,
                bot_data=lambda: BotData(settings, rate_limiter=limiter, background=background),
            )
        )
        .concurrent_updates(True)
        .post_init(_open)
        .post_stop(_finish_edits)
        .post_shutdown(_close)
    )
    if limiter is not None:
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    application = builder.build()
    handlers.register(application)
    return application


async def _remind(context: SkedjitContext) -> None:
    """Sends the reminders that are due, and has the cards of events whose answers closed say so."""
    data = context.bot_data
    await send_due_reminders(context.bot, data)
    await run_due_polls(context.bot, data)
    # A series moves on to its next date before answers to the date that began are closed. Batch after
    # batch, so a thousand series due at once move in one round, not one batch a poll.
    while await series.roll_over_due(data.uow()):
        data.card_sync.kick()
    while await card_records.close_due_answers(data.uow()):
        data.card_sync.kick()


async def _heartbeat(context: SkedjitContext) -> None:
    """Tell the other processes this one is alive, keep to this process's share of the rate, and learn
    the languages chosen through the other processes."""
    data = context.bot_data
    try:
        alive = await budgets.heartbeat(
            data.uow(), data.process_id, now=utcnow(), silent_after=timedelta(seconds=3 * HEARTBEAT_SECONDS)
        )
    except DatabaseUnavailable:
        return  # the last share stands until the database answers again
    if data.rate_limiter is not None:
        data.rate_limiter.share(alive)
    with contextlib.suppress(DatabaseUnavailable):
        await data.languages.refresh(data)


async def _open(application: Application) -> None:  # type: ignore[type-arg]
    """Opens the database, brings its schema up to date, and tells Telegram the command menu."""
    data: BotData = application.bot_data
    data.bot_username = application.bot.username
    data.engine = make_engine(data.settings.database_url, pool_size=data.settings.database_pool_size)
    data.session_factory = make_session_factory(data.engine)
    data.autocommit_factory = make_autocommit_factory(data.engine)
    await _reach_database(data.engine)
    await migrate(data.engine)
    data.direct_views = await open_direct_views(data.engine, pool_size=VIEW_CONNECTIONS)
    # dateparser loads its language data lazily; do it now, not on the first user's message.
    await asyncio.to_thread(dates.warm_up)
    data.gc_thresholds = _tune_gc()
    await asyncio.to_thread(i18n.warm_up)
    await data.languages.refresh(data)
    await set_command_menus(application.bot)
    if data.rate_limiter is not None:
        data.rate_limiter.attach(data)
    if application.job_queue is not None:
        application.job_queue.run_repeating(_remind, interval=data.settings.reminder_poll_seconds, first=1)
        application.job_queue.run_repeating(_heartbeat, interval=HEARTBEAT_SECONDS, first=0)
    if data.background:
        data.card_sync.start(application.bot)
    log.info("bot @%s ready", data.bot_username)


async def _reach_database(engine: AsyncEngine) -> None:
    """Connect once, so that a database out of reach stops start-up with one line saying where."""
    try:
        async with engine.connect():
            pass
    # Refused, unknown host, wrong password, no such database, a time-out: the operator's to fix.
    except Exception as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise StartupError(f"cannot reach the database at {where} (DATABASE_URL): {one_line(exc)}") from exc


def one_line(exc: BaseException) -> str:
    """The exception's type and the first line of its message (a driver's own, under SQLAlchemy's)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__


def _tune_gc() -> tuple[int, int, int]:
    """Keep the cyclic garbage collector out of the way of updates; return its previous thresholds.

    What start-up loaded (PTB, SQLAlchemy, dateparser's data) lives as long as the process: frozen, it
    is no longer walked by every full collection. And an update allocates a few hundred short-lived
    objects while up to 256 updates run at once: with CPython's default of a young collection every
    700 allocations, collections took about a tenth of a view's CPU (bench/README.md). Garbage
    without cycles is freed at once whatever the threshold; only cycles wait a little longer.
    """
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, previous[1], previous[2])
    return previous


async def _finish_edits(application: Application) -> None:  # type: ignore[type-arg]
    """Let card edits in hand go out while the bot can still send them, for a few seconds at most.

    What is not done by then stays in the database, leased to this process for a while; then
    another process takes it over.
    """
    data: BotData = application.bot_data
    await data.card_sync.stop(SHUTDOWN_EDITS_TIMEOUT)
    if data.session_factory is not None:
        try:
            await budgets.leave(data.uow(), data.process_id)
        except DatabaseUnavailable:
            pass


async def _close(application: Application) -> None:  # type: ignore[type-arg]
    data: BotData = application.bot_data
    if data.gc_thresholds is not None:
        gc.unfreeze()
        gc.set_threshold(*data.gc_thresholds)
    if data.direct_views is not None:
        await data.direct_views.close()
    if data.engine is not None:
        await data.engine.dispose()
