"""A brake on people sending commands faster than anyone reads them."""

from __future__ import annotations


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
