"""Two brakes that keep the bot within Telegram's limits and its users' patience."""

from __future__ import annotations

import asyncio
import logging
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

    Fixed windows, a few numbers per active sender, and senders idle for a window are dropped, so
    memory follows the people active right now, not everyone ever seen. Kept in each process's
    memory: a flood is a burst, and a burst lands on one process long enough.
    """

    def __init__(self, limit: int = 8, window: float = 10.0) -> None:
        self.limit = limit
        self.window = window
        # key -> [window start, commands in it, warned in it (0 or 1)]
        self._counts: dict[tuple[int, int], list[float]] = {}
        self._pruned_at = 0.0

    def allow(self, key: tuple[int, int], now: float) -> tuple[bool, bool]:
        """Return (allowed, warn): warn is True once per flood."""
        if now - self._pruned_at > self.window:
            self._prune(now)
        entry = self._counts.get(key)
        if entry is None or now - entry[0] >= self.window:
            self._counts[key] = [now, 1, 0]
            return True, False
        entry[1] += 1
        if entry[1] <= self.limit:
            return True, False
        warn = entry[2] == 0
        entry[2] = 1
        return False, warn

    def _prune(self, now: float) -> None:
        self._counts = {k: v for k, v in self._counts.items() if now - v[0] < self.window}
        self._pruned_at = now

    def __len__(self) -> int:
        return len(self._counts)
