"""The bot under test and the echo bot it is compared with, built the same way and run in one process.

Both are python-telegram-bot Applications with ``concurrent_updates(True)`` (256 updates at once, the
bot's own setting in ``bot.app.build_application``), the same ``CannedRequest`` for the Bot API, a
job queue, and no rate limiter: an outgoing limiter holds every bot to 30 messages a second, so with
one the benchmark would measure the limiter. For throughput and memory they take their updates by
long polling (the Updater), so each update goes the whole way: JSON from getUpdates,
``Update.de_json``, the update queue, the handlers, the Bot API request and its JSON answer. The
open-loop benchmarks (``polling=False``) put ``Update.de_json(json.loads(raw))`` on the update queue
themselves, at the scheduled time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench import db, seams
from bench.diagnoses import Diagnosis
from bench.telegram_stub import BOT_TOKEN, CannedRequest, UpdatePipe
from bench.updates import EFFECTS

CONCURRENT_UPDATES = 256  # what .concurrent_updates(True) means in PTB 22


def bot_settings(database_url: str, **overrides: Any) -> seams.Settings:
    """The bot's settings as deployed (its bcrypt cost, 3 s card edits), pointed at the bench database."""
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "database_url": database_url,
        "default_timezone": "Europe/Paris",
    }
    values.update(overrides)
    return seams.settings(**values)


async def _echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    await message.reply_text(message.text)


@dataclass
class Runner:
    """One running Application with its canned Telegram and its update pipe."""

    name: str
    app: Application  # type: ignore[type-arg]
    pipe: UpdatePipe
    request: CannedRequest
    url: str | None = None  # the bot's database; None for the echo bot
    diagnosis: Diagnosis = field(default_factory=lambda: Diagnosis([]))
    polling: bool = True

    async def start(self) -> None:
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)
        if self.url is not None:
            self.diagnosis.started(self.app)
        if self.polling:
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES
            )
        await self.app.start()

    async def stop(self) -> None:
        if self.polling and self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        if self.app.post_shutdown is not None:
            await self.app.post_shutdown(self.app)

    async def run(self, raw_updates: list[str], *, limit_s: float = 120.0) -> float:
        """Feed the updates through getUpdates; return updates per second, first delivery to last done."""
        errors_before = sum(self.pipe.errors.values())
        self.pipe.reset_clock()
        self.pipe.expect(self.pipe.done + len(raw_updates))
        self.pipe.push(raw_updates)
        await self.pipe.finished(limit_s)
        assert self.pipe.first_delivery is not None and self.pipe.last_done is not None
        elapsed = self.pipe.last_done - self.pipe.first_delivery
        errors = sum(self.pipe.errors.values()) - errors_before
        if errors:
            raise RuntimeError(f"{self.name}: {errors} updates failed: {dict(self.pipe.errors)}")
        return len(raw_updates) / elapsed

    def direct_batches(self) -> tuple[int, int]:
        """How many batched view reads and card writes the bot has sent; (0, 0) for the echo bot."""
        return (0, 0) if self.url is None else seams.view_batches(self.app)

    async def drain_background(self) -> None:
        """Wait for work the bot started after answering (card refreshes); untimed."""
        if self.url is not None:
            await seams.drain_card_edits(self.app)

    @asynccontextmanager
    async def leaves_rows(self, path: str, updates: int) -> AsyncIterator[None]:
        """Check that ``updates`` updates of ``path`` sent inside the block each left their row.

        A view records its card, a tap its answer, a create its event (``updates.EFFECTS``): a bot
        that answers "no such event" or ignores a button would otherwise be measured as fast.
        """
        table = EFFECTS[path]
        if self.url is None:
            raise ValueError("the echo bot keeps no rows")
        before = await db.count_rows(self.url, table)
        yield
        await self.drain_background()
        added = await db.count_rows(self.url, table) - before
        expected = updates if table != "posted_cards" or self.diagnosis.records_cards else 0
        if added != expected:
            raise RuntimeError(
                f"{self.name}: {updates} updates of {path} added {added} rows to {table}, not {expected}: "
                "the bot no longer does what the benchmark sends them for; its last answers: "
                f"{list(self.request.sample_texts)[-3:]}"
            )


def make_runner(
    name: str,
    database_url: str | None,
    *,
    window: int = 1024,
    polling: bool = True,
    diagnosis: Diagnosis | None = None,
    **settings: Any,
) -> Runner:
    """The bot on ``database_url``, or the echo bot when it is None."""
    diagnosis = diagnosis or Diagnosis([])
    pipe = UpdatePipe(window)
    request = CannedRequest()
    updates_request = CannedRequest(pipe)
    if database_url is None:
        app = (
            ApplicationBuilder()
            .token(BOT_TOKEN)
            .concurrent_updates(True)
            .request(request)
            .get_updates_request(updates_request)
            .build()
        )
        app.add_handler(MessageHandler(filters.TEXT, _echo))
    else:
        app = seams.build_application(
            bot_settings(database_url, **settings),
            request=request,
            get_updates_request=updates_request,
            rate_limit=False,
        )
        diagnosis.built(app)
    pipe.attach(app)
    return Runner(name, app, pipe, request, database_url, diagnosis, polling)
