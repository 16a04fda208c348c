"""Handler tests: the real Application and update processing, Telegram replaced at the request layer."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.app import build_application
from core.config import Settings
from core.storage.engine import make_engine
from core.storage.migrate import migrate
from tests.conftest import run_blocking
from tests.support.fake_request import FakeRequest
from tests.support.fake_telegram import FakeTelegram


async def _migrated(url: str) -> None:
    engine = make_engine(url)
    await migrate(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "bot.db"
    run_blocking(_migrated(f"sqlite+aiosqlite:///{path}"))
    return path


class BotHarness:
    """Drives the bot as users would, and reads what it said."""

    def __init__(self, fake: FakeTelegram, application: Any) -> None:
        self.fake = fake
        self.app = application

    async def pump(self) -> None:
        """Feed every queued update through the application, as polling would, and make the card
        edits that are due, as the sync loop would."""
        while True:
            await self.app.bot_data.card_sync.until_idle(self.app.bot)
            updates = self.fake.take_updates()
            if not updates:
                return
            for raw in updates:
                await self.app.process_update(Update.de_json(raw, self.app.bot))

    async def send(self, user: dict, chat: dict, text: str) -> dict:
        message = self.fake.user_sends(user, chat, text)
        await self.pump()
        return message

    async def tap(self, user: dict, message: dict, data: str) -> None:
        self.fake.user_taps(user, message, data)
        await self.pump()

    def said(self, chat: dict) -> list[str]:
        """The text of every bot message present in ``chat``, in order."""
        return [m["text"] for m in self.fake.messages_in(chat)]

    def last(self, chat: dict) -> dict:
        message = self.fake.last_message(chat)
        assert message is not None, "the bot said nothing there"
        return message

    def buttons(self, message: dict) -> list[dict]:
        markup = message.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def button(self, message: dict, label_part: str) -> dict:
        for button in self.buttons(message):
            if label_part.lower() in button["text"].lower():
                return button
        raise AssertionError(f"no button with {label_part!r} in {self.buttons(message)}")

    def card_in(self, chat: dict) -> dict:
        """The newest event card in ``chat``."""
        return [m for m in self.fake.messages_in(chat) if "🔗" in m["text"]][-1]

    def link_of(self, card: dict) -> str:
        url = self.button(card, "Manage")["url"]
        return url.rsplit("m_", 1)[1]


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


@asynccontextmanager
async def running_bot(fake: FakeTelegram, db: Path, **overrides: object) -> AsyncIterator[BotHarness]:
    """The bot on the SQLite file ``db``, started and stopped as ``python -m bot`` would."""
    settings = Settings(
        **{  # type: ignore[arg-type]
            "telegram_bot_token": fake.token,
            "database_url": f"sqlite+aiosqlite:///{db}",
            "bcrypt_rounds": 4,
            "default_timezone": "Europe/Paris",
            "card_edit_interval_seconds": 0,
            **overrides,
        }
    )
    # No outgoing rate limiter: it would hold a test sending 21 messages into one group for a minute.
    application = build_application(
        settings,
        request=FakeRequest(fake),
        get_updates_request=FakeRequest(fake),
        rate_limit=False,
        background=False,
    )
    async with application:
        await application.post_init(application)  # type: ignore[misc]
        yield BotHarness(fake, application)
        await application.post_stop(application)  # type: ignore[misc]
        await application.post_shutdown(application)  # type: ignore[misc]


@pytest.fixture
async def harness(
    fake: FakeTelegram, tmp_path: Path, migrated_sqlite_template: Path
) -> AsyncIterator[BotHarness]:
    db = tmp_path / "bot.db"
    shutil.copy(migrated_sqlite_template, db)
    async with running_bot(fake, db) as harness:
        yield harness


@pytest.fixture
def alice(fake: FakeTelegram) -> dict:
    return fake.add_user("Alice", "alice")


@pytest.fixture
def bob(fake: FakeTelegram) -> dict:
    return fake.add_user("Bob", "bob")


@pytest.fixture
def group(fake: FakeTelegram, alice: dict, bob: dict) -> dict:
    chat = fake.add_group("Friends")
    fake.set_member(chat, alice)
    fake.set_member(chat, bob)
    return chat
