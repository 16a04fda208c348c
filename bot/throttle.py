"""Two brakes that keep the bot within Telegram's limits and its users' patience."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class CardRefresher:
    """Coalesces card updates per event: at most one edit round per ``interval`` seconds.

    The first change shows at once; changes during the pause are folded into one more round at its
    end, which reads the event afresh, so the last state is always the one shown. With the default
    3 s this keeps a busy card within Telegram's 20 messages a minute per group.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._running: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()

    def request(self, link_id: str, refresh: Callable[[], Awaitable[object]]) -> None:
        if link_id in self._running:
            self._dirty.add(link_id)
            return
        self._running[link_id] = asyncio.create_task(self._run(link_id, refresh))

    async def _run(self, link_id: str, refresh: Callable[[], Awaitable[object]]) -> None:
        try:
            while True:
                self._dirty.discard(link_id)
                try:
                    await refresh()
                except Exception:
                    log.exception("refreshing the cards of %s failed", link_id)
                await asyncio.sleep(self.interval)
                if link_id not in self._dirty:
                    return
        finally:
            del self._running[link_id]

    async def drain(self) -> None:
        """Wait until every pending refresh has run (tests, and graceful shutdown)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)


class FloodGuard:
    """At most ``limit`` commands per ``window`` seconds per user per chat; past that, one notice.

    Kept in each process's memory: a flood is a burst, and a burst lands on one process long enough.
    """

    def __init__(self, limit: int = 8, window: float = 10.0) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[tuple[int, int], deque[float]] = {}
        self._warned: dict[tuple[int, int], float] = {}

    def allow(self, key: tuple[int, int], now: float) -> tuple[bool, bool]:
        """Return (allowed, warn): warn is True once per flood."""
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.pop(key, None)
            return True, False
        if len(self._seen) > 10_000:
            self._forget_idle(now)
        warn = key not in self._warned
        self._warned[key] = now
        return False, warn

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._seen.items() if not v or now - v[-1] > self.window]:
            self._seen.pop(key, None)
            self._warned.pop(key, None)
