"""Telegram's flood limits, kept by all the bot's processes together.

Per group: Telegram allows 20 messages a minute, and about one a second in any chat, with short bursts.
The budget here is 3 at once, then one every 3.6 s: at most 3 in any 3 seconds and 19 in any minute.
It lives in the database and every process draws on it (``core.budgets``): one statement per message
into a group; a private chat costs nothing there. Overall, about 30 messages a second: each process
keeps to its share, 28 divided by the processes alive. A 429 is retried after the time Telegram asks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from core import budgets
from core.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from bot.context import BotData

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 28.0
GROUP_BURST = 3
GROUP_INTERVAL = 3.6  # seconds: with the burst, 3 + 60 / 3.6 < 20 in any minute
MAX_RETRIES = 3
# Methods that put a message in a chat or change one: what Telegram's flood limits count.
COUNTED = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "sendDocument",
        "sendPhoto",
        "copyMessage",
        "forwardMessage",
    }
)


class _Gcra:
    """One budget in memory: ``burst`` at once, then one every ``interval`` seconds."""

    def __init__(self, interval: float, burst: int) -> None:
        self.interval = interval
        self.burst = burst
        self._full_at = 0.0

    def reserve(self, now: float) -> float:
        self._full_at = max(self._full_at, now) + self.interval
        return max(now, self._full_at - self.burst * self.interval)


class SharedRateLimiter(BaseRateLimiter[int]):
    """python-telegram-bot's rate limiter hook, with the group budget shared through the database."""

    def __init__(self) -> None:
        self._data: BotData | None = None
        self._overall = _Gcra(1 / OVERALL_PER_SECOND, 1)
        # Used while the database is out of reach: each process then guards each group on its own.
        self._local_groups: dict[int, _Gcra] = {}
        self._database_down = False

    def attach(self, data: BotData) -> None:
        """From now on, draw on the database's budgets (post_init, once the database is open)."""
        self._data = data

    def share(self, processes: int) -> None:
        """``processes`` bot processes are alive: keep to one share of the overall rate."""
        self._overall.interval = max(1, processes) / OVERALL_PER_SECOND

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint in COUNTED:
            chat_id = data.get("chat_id")
            if chat_id is not None and (isinstance(chat_id, str) or int(chat_id) < 0):
                await self._wait_until(await self._group_slot(chat_id))
            await self._wait_until(self._overall.reserve(time.time()))
        retries = rate_limit_args or MAX_RETRIES
        for attempt in range(retries + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                wait = _seconds(exc)
                log.info("Telegram asked to wait %.0f s before sending more", wait)
                await asyncio.sleep(wait + 0.1)
        raise AssertionError("unreachable")

    async def _group_slot(self, chat: int | str) -> float:
        chat_id = hash(chat) if isinstance(chat, str) else int(chat)
        now = time.time()
        if self._data is not None and self._data.session_factory is not None:
            try:
                at = await budgets.reserve_group_slot(
                    self._data.uow(), chat_id, now=now, interval=GROUP_INTERVAL, burst=GROUP_BURST
                )
                if self._database_down:
                    log.info("group send budgets: the database is back")
                    self._database_down = False
                return at
            except DatabaseUnavailable:
                if not self._database_down:
                    log.warning(
                        "group send budgets: the database is unavailable; limiting per process meanwhile"
                    )
                    self._database_down = True
        budget = self._local_groups.setdefault(chat_id, _Gcra(GROUP_INTERVAL, GROUP_BURST))
        return budget.reserve(now)

    @staticmethod
    async def _wait_until(moment: float) -> None:
        delay = moment - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


def _seconds(exc: RetryAfter) -> float:
    # PTB 22.2 turned retry_after into a timedelta behind a deprecation switch; read it either way.
    value: Any = getattr(exc, "_retry_after", None) or exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)
