"""Everything bench/ takes from the bot's own code and from the test suite, in one place.

The benchmarks drive the bot as Telegram does: raw JSON updates into the Application that
``build_application`` returns, Bot API answers from a stub. They load data with SQL into the tables
the migrations create. What they still need from inside core/, bot/ and tests/support is here, so a
restructuring that renames something breaks this file, and only this file.

Every function that reaches into the bot checks that what it reaches for is there and raises
``SeamBroken`` if not, and every replacement counts its calls so the benchmark can check it was
used: a rename fails the run (and the smoke test, tests/bench) instead of measuring the wrong thing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import keyboards as _keyboards
from bot import logs as _logs
from bot import texts as _texts
from bot.app import build_application
from core.codes import DEFAULT_ROUNDS as DEPLOYED_BCRYPT_ROUNDS
from core.config import Settings
from core.storage.migrate import migrate as _migrate

# The reminder storm needs flood control (429 with retry_after), which only the test suite's full
# fake of the Bot API has; the other benchmarks use bench/telegram_stub.py.
from tests.support.fake_request import FakeRequest
from tests.support.fake_telegram import FakeTelegram, RateLimits

__all__ = [
    "DEPLOYED_BCRYPT_ROUNDS",
    "FakeRequest",
    "FakeTelegram",
    "RateLimits",
    "SeamBroken",
    "Settings",
    "Switch",
    "build_application",
    "configure_logging",
    "drain_card_edits",
    "migrate",
    "settings",
    "view_batches",
    "without_card_text",
    "without_keyboard_build",
    "without_view_database",
]


class SeamBroken(RuntimeError):
    """Something bench/ reaches for inside the bot is not where it was: fix bench/seams.py."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} (the bot's code changed; fix bench/seams.py)")


def settings(**values: Any) -> Settings:
    """The bot's settings from these values only, no environment file."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def migrate(engine: AsyncEngine) -> None:
    """Bring a new database to the bot's schema, as the bot does at start-up."""
    await _migrate(engine)


def configure_logging(level: str, token: str) -> None:
    """Log as ``python -m bot`` does (its format, its secret filter)."""
    _logs.configure(level.upper(), token)
    if not logging.getLogger().handlers:
        raise SeamBroken("bot.logs.configure installed no handler")


def _bot_data_attribute(application: Application, name: str) -> Any:  # type: ignore[type-arg]
    value = getattr(application.bot_data, name, None)
    if value is None:
        raise SeamBroken(f"the bot's context has no {name!r} (is the application started?)")
    return value


def view_batches(application: Application) -> tuple[int, int]:  # type: ignore[type-arg]
    """How many batched view reads and card writes the bot has sent (core/storage/direct.py)."""
    views = _bot_data_attribute(application, "direct_views")
    try:
        return int(views.reads.batches), int(views.writes.batches)
    except AttributeError as exc:
        raise SeamBroken(f"the batched views no longer count their batches: {exc}") from exc


async def drain_card_edits(application: Application) -> None:  # type: ignore[type-arg]
    """Make every card edit that is due now (an RSVP tap's refresh), as the sync loop would."""
    until_idle = getattr(_bot_data_attribute(application, "card_sync"), "until_idle", None)
    if until_idle is None:
        raise SeamBroken("the card sync has no until_idle()")
    await until_idle(application.bot)


class Switch:
    """A part of the bot replaced in this process only; ``calls`` counts what reached the replacement."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.calls = 0
        self._undo: list[Callable[[], None]] = []

    def count(self) -> None:
        self.calls += 1

    def check_used(self) -> None:
        """Raise if the bot never called the replacement: then it no longer calls what was replaced."""
        if self.calls == 0:
            raise SeamBroken(f"switched off {self.label}, but the bot never reached the replacement")

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()

    def replace(self, owner: ModuleType | object, name: str, replacement: Any) -> Any:
        """Set ``owner.name`` to ``replacement``; return what was there."""
        if not hasattr(owner, name):
            raise SeamBroken(f"{getattr(owner, '__name__', type(owner).__name__)} has no {name!r}")
        original = getattr(owner, name)
        setattr(owner, name, replacement)
        self._undo.append(lambda: setattr(owner, name, original))
        return original


def without_view_database(application: Application) -> Switch:  # type: ignore[type-arg]
    """Views read one event once and show it under every link; posted cards are not recorded.

    Replaces the started bot's batched view path (``bot_data.direct_views``), which every view's one
    read and one write go through on PostgreSQL.
    """
    switch = Switch("the view's database (one event, renamed to each link; no card recorded)")
    data = application.bot_data
    real = _bot_data_attribute(application, "direct_views")
    for method in ("read", "record_card"):
        if not callable(getattr(real, method, None)):
            raise SeamBroken(f"the batched views have no {method}()")
    switch.replace(data, "direct_views", _FirstViewOnly(real, switch))
    return switch


class _FirstViewOnly:
    def __init__(self, real: Any, switch: Switch) -> None:
        self._real = real
        self._switch = switch
        self._first: Any = None

    async def read(self, link_id: str, viewer_chat_id: int | None) -> Any:
        self._switch.count()
        if self._first is None:  # one real read, so the card has a real event's shape
            self._first = await self._real.read(link_id, viewer_chat_id)
            if self._first is None:
                raise SeamBroken(f"the first view's event {link_id} was not found")
        return self._first._replace(event=dataclasses.replace(self._first.event, link_id=link_id))

    async def record_card(self, _card: object) -> None:
        self._switch.count()

    def __getattr__(self, name: str) -> Any:  # close(), and the batch counters
        return getattr(self._real, name)


def without_keyboard_build() -> Switch:
    """Every card gets the first card's buttons: what building a card's keyboard costs."""
    switch = Switch("keyboard building (one prebuilt keyboard)")
    built: dict[tuple[tuple[str, Any], ...], Any] = {}

    def card_keyboard(bot_username: str, link_id: str, **flags: Any) -> Any:
        switch.count()
        key = tuple(sorted(flags.items()))
        if key not in built:
            built[key] = build(bot_username, link_id, **flags)
        return built[key]

    build = switch.replace(_keyboards, "card_keyboard", card_keyboard)
    return switch


def without_card_text() -> Switch:
    """Every card is a fixed two-line text: what rendering a card's text costs."""
    switch = Switch("card text (a fixed two-line text)")
    if not hasattr(_texts, "deep_link"):
        raise SeamBroken("bot.texts has no 'deep_link'")
    deep_link: Callable[[str, str], str] = _texts.deep_link

    def card(event: Any, bot_username: str, **_kwargs: Any) -> str:
        switch.count()
        return f"📅 <b>Event</b>\n🔗 {deep_link(bot_username, event.link_id)}"

    switch.replace(_texts, "card", card)
    return switch
