"""What the end-to-end tests act through: the running bot process and the fake Telegram around it."""

from __future__ import annotations

import asyncio
import itertools
import re
import subprocess
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.webhook import HEALTH_PATH, SECRET_HEADER, WEBHOOK_PATH
from tests.support.fake_telegram import DEFAULT_TOKEN
from tests.support.fake_telegram_server import FakeTelegramClient, wait_until

TOKEN = DEFAULT_TOKEN
BOT_USERNAME = "SkedjitTestBot"
WAIT = 10.0
# Long enough for a command the bot did act on to show its reply; used only to prove a silence.
SETTLE = 0.5
CARD_MARK = "🔗"
CODE_RE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
LINK_RE = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9]{{10}})\b")
CLAIM_RE = re.compile(r"\?start=(c_[A-Za-z0-9_-]+)")
# Webhook mode: the fake's setWebhook only records the URL; the tests POST updates themselves.
WEBHOOK_PUBLIC_URL = "https://skedjit.example.invalid"
WEBHOOK_SECRET = "e2e-webhook-secret_0123456789"
POST_TIMEOUT = 20.0


@dataclass
class RunningBot:
    """The ``python -m bot`` process, its captured stdout+stderr, and the fake API it talks to."""

    process: subprocess.Popen[bytes]
    log_path: Path
    api_root: str

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


@dataclass
class WebhookBot(RunningBot):
    """``python -m bot --webhook`` listening on 127.0.0.1:``port``."""

    name: str = "bot"
    port: int = 0
    env: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None


class World:
    """Acts as Telegram users over HTTP and reads what the bot said; remembers every secret it saw."""

    def __init__(self, client: FakeTelegramClient, bot: RunningBot) -> None:
        self.tg = client
        self.bot = bot
        self.secrets: set[str] = {TOKEN}

    # -- the world -------------------------------------------------------------------------

    async def user(self, name: str, *, opened_the_bot: bool = False, language_code: str = "en") -> dict:
        """A new Telegram user; ``opened_the_bot`` has them /start a private chat first."""
        user = await self.tg.add_user(name, language_code=language_code)
        if opened_the_bot:
            await self.says(user, user, "/start", expect="Skedjit")
        return user

    async def group(self, title: str, *members: dict) -> dict:
        group = await self.tg.add_group(title)
        for member in members:
            await self.tg.set_member(group, member)
        return group

    # -- acting ----------------------------------------------------------------------------

    async def send(self, user: dict, chat: dict, text: str) -> dict:
        """``user`` writes ``text`` in ``chat``; returns their message."""
        return await self.tg.user_sends(user, chat, text)

    async def says(self, user: dict, chat: dict, text: str, *, expect: str) -> dict:
        """``user`` writes ``text`` in ``chat``; returns the bot's answer there that contains ``expect``."""
        sent = await self.send(user, chat, text)
        return await self.reply_in(chat, expect, after=sent)

    async def tap(self, user: dict, message: dict, label: str) -> dict:
        """``user`` taps the inline button whose label contains ``label``; returns the callback query."""
        return await self.tg.user_taps(user, message, button(message, label)["callback_data"])

    # -- reading ---------------------------------------------------------------------------

    async def messages(self, chat: dict) -> list[dict]:
        """The bot's messages present in ``chat``, oldest first, as they read now."""
        found = await self.tg.messages_in(chat)
        for message in found:
            self._remember_secrets(message)
        return found

    async def cards(self, chat: dict) -> list[dict]:
        return [m for m in await self.messages(chat) if CARD_MARK in m["text"]]

    async def texts(self, chat: dict) -> list[str]:
        return [m["text"] for m in await self.messages(chat)]

    async def reply_in(self, chat: dict, expect: str, *, after: Mapping[str, Any] | None = None) -> dict:
        """The first bot message in ``chat`` (after message ``after``) containing ``expect``, once it exists."""
        after_id = after["message_id"] if after else 0

        async def found() -> dict | None:
            for message in await self.messages(chat):
                if message["message_id"] > after_id and expect in message["text"]:
                    return message
            return None

        return await self.eventually(found, f"the bot to say {expect!r} in chat {chat['id']}")

    async def eventually(self, condition: Any, what: str, timeout: float = WAIT) -> Any:  # noqa: ASYNC109
        """Wait (bounded) for ``condition`` (sync or async) to hold; on time-out say what was awaited."""
        try:
            return await wait_until(condition, timeout)
        except TimeoutError:
            raise AssertionError(f"waited {timeout:.0f}s for {what}; {self.log_tails()}") from None

    def log_tails(self) -> str:
        return f"bot log tail:\n{self.bot.log_tail()}"

    async def settled(self, *messages: Mapping[str, Any]) -> None:
        """The bot has received ``messages`` and had a moment to act on them (to prove it said nothing)."""
        for message in messages:
            await self.eventually(
                lambda message=message: self._delivered(message),
                f"the bot to receive message {message['message_id']} in chat {message['chat']['id']}",
            )
        await asyncio.sleep(SETTLE)

    async def _delivered(self, message: Mapping[str, Any]) -> bool:
        """Whether a getUpdates answer carried ``message``.

        The fake drops confirmed updates only when the *next* long poll returns (up to 10 s later), so
        its pending-updates list cannot tell; the logged getUpdates answers can.
        """
        key = (message["chat"]["id"], message["message_id"])
        for call in await self.tg.calls("getUpdates"):
            for update in call["response"].get("result") or []:
                got = update.get("message") or {}
                if (got.get("chat", {}).get("id"), got.get("message_id")) == key:
                    return True
        return False

    # -- secrets ---------------------------------------------------------------------------

    def _remember_secrets(self, message: Mapping[str, Any]) -> None:
        text = message.get("text", "")
        for code in CODE_RE.findall(text):
            self.secrets.update({code, code.replace("-", "")})
        for found in buttons(message):
            if claim := CLAIM_RE.search(found.get("url", "")):
                self.secrets.add(claim.group(1))

    def assert_log_keeps_secrets(self) -> None:
        """The token, and every code and claim link the bot handed out, are absent from its log."""
        log = self.bot.log()
        leaked = sorted(secret for secret in self.secrets if secret in log)
        assert not leaked, f"secrets in the bot's log: {leaked}\n{log}"


class WebhookWorld(World):
    """The same world, but the test plays Telegram's webhook delivery: every action's update is taken
    from the fake and POSTed, with the secret header, to one of the bot processes (in turn unless a
    test names one). Each POST returns once the bot has handled the update."""

    def __init__(
        self, client: FakeTelegramClient, bots: Sequence[WebhookBot], http: httpx.AsyncClient
    ) -> None:
        super().__init__(client, bots[0])
        self.bots = list(bots)
        self.watched = list(bots)
        self.http = http
        self._turn = itertools.cycle(self.bots)
        self.handled_by: dict[int, str] = {}  # update_id -> name of the process it was POSTed to
        self.secrets.add(WEBHOOK_SECRET)

    def next_bot(self) -> WebhookBot:
        return next(self._turn)

    def watch(self, other: WebhookBot) -> WebhookBot:
        """Include ``other``'s log in failure messages (for a process a test POSTs to with ``to=``)."""
        self.watched.append(other)
        return other

    async def send(self, user: dict, chat: dict, text: str, *, to: WebhookBot | None = None) -> dict:
        message = await self.tg.user_sends(user, chat, text)
        await self.deliver(to=to)
        return message

    async def says(
        self, user: dict, chat: dict, text: str, *, expect: str, to: WebhookBot | None = None
    ) -> dict:
        sent = await self.send(user, chat, text, to=to)
        return await self.reply_in(chat, expect, after=sent)

    async def tap(self, user: dict, message: dict, label: str, *, to: WebhookBot | None = None) -> dict:
        query = await self.tg.user_taps(user, message, button(message, label)["callback_data"])
        await self.deliver(to=to)
        return query

    async def deliver(self, *, to: WebhookBot | None = None) -> list[dict]:
        """POST every queued update (each to ``to``, or to the next process in turn); all must get 200."""
        updates = await self.tg.take_updates()
        for update in updates:
            target = to or self.next_bot()
            response = await self.post(target, update)
            self.handled_by[update["update_id"]] = target.name
            assert response.status_code == 200, (
                f"{target.name} answered {response.status_code} to update {update['update_id']}; "
                f"{self.log_tails()}"
            )
        return updates

    async def post(
        self, target: WebhookBot, update: Mapping[str, Any], *, secret: str | None = WEBHOOK_SECRET
    ) -> httpx.Response:
        """One webhook delivery, as Telegram makes it (``secret=None`` leaves the header out)."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return await self.http.post(f"{target.url}{WEBHOOK_PATH}", json=update, headers=headers)

    async def health(self, target: WebhookBot) -> httpx.Response:
        return await self.http.get(f"{target.url}{HEALTH_PATH}")

    async def settled(self, *messages: Mapping[str, Any]) -> None:
        """Each POST returned after its update was handled; give card edits a moment."""
        await asyncio.sleep(SETTLE)

    def log_tails(self) -> str:
        return "\n".join(f"{b.name} log tail:\n{b.log_tail()}" for b in self.watched)

    def assert_log_keeps_secrets(self) -> None:
        """The token, the webhook secret, and every code and claim link are absent from every log."""
        for running in self.watched:
            log = running.log()
            leaked = sorted(secret for secret in self.secrets if secret in log)
            assert not leaked, f"secrets in {running.name}'s log: {leaked}"


def handled_in_log(running: RunningBot, update_id: int) -> bool:
    """Whether the process logged handling update ``update_id`` (one line per update, bot/observe.py)."""
    return f"update={update_id} " in running.log()


@asynccontextmanager
async def webhook_world(api_root: str, bots: Sequence[WebhookBot]) -> AsyncIterator[WebhookWorld]:
    async with FakeTelegramClient(api_root) as client, httpx.AsyncClient(timeout=POST_TIMEOUT) as http:
        yield WebhookWorld(client, bots, http)


class Database:
    """SQL on the bots' PostgreSQL database: to check what they stored, and to move time forward."""

    def __init__(self, url: str) -> None:
        self.engine = create_async_engine(url, pool_size=2)

    async def rows(self, statement: str, **params: Any) -> list[Any]:
        async with self.engine.begin() as connection:
            result = await connection.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    async def value(self, statement: str, **params: Any) -> Any:
        async with self.engine.begin() as connection:
            return (await connection.execute(text(statement), params)).scalar()

    async def execute(self, statement: str, **params: Any) -> int:
        """Run a write; returns the number of rows it touched."""
        async with self.engine.begin() as connection:
            return (await connection.execute(text(statement), params)).rowcount

    async def close(self) -> None:
        await self.engine.dispose()


# -- reading messages -------------------------------------------------------------------------


def buttons(message: Mapping[str, Any]) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(message: Mapping[str, Any], label: str) -> dict:
    for candidate in buttons(message):
        if label.lower() in candidate["text"].lower():
            return candidate
    raise AssertionError(f"no button labelled {label!r} under {message.get('text')!r}")


def link_of(card: Mapping[str, Any]) -> str:
    """The event's public link id, read from the deep link printed on its card."""
    match = LINK_RE.search(card["text"])
    assert match, f"no deep link on {card['text']!r}"
    return match.group(1)


def code_in(message: Mapping[str, Any]) -> str:
    match = CODE_RE.search(message["text"])
    assert match, f"no secret code in {message['text']!r}"
    return match.group(0)
