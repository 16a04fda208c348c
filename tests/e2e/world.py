"""What the end-to-end tests act through: the running bot process and the fake Telegram around it."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass
class RunningBot:
    """The ``python -m bot`` process, its captured stdout+stderr, and the fake API it talks to."""

    process: subprocess.Popen[bytes]
    log_path: Path
    api_root: str

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class World:
    """Acts as Telegram users over HTTP and reads what the bot said; remembers every secret it saw."""

    def __init__(self, client: FakeTelegramClient, bot: RunningBot) -> None:
        self.tg = client
        self.bot = bot
        self.secrets: set[str] = {TOKEN}

    # -- the world -------------------------------------------------------------------------

    async def user(self, name: str, *, opened_the_bot: bool = False) -> dict:
        """A new Telegram user; ``opened_the_bot`` has them /start a private chat first."""
        user = await self.tg.add_user(name)
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
            tail = "\n".join(self.bot.log().splitlines()[-20:])
            raise AssertionError(f"waited {timeout:.0f}s for {what}; bot log tail:\n{tail}") from None

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
