"""Open-loop load: updates arrive on a fixed schedule, whatever the bot is doing; latency is measured
from each update's *scheduled* arrival to the moment every handler group is done with it.

A closed loop (send the next update when the last one is answered) would wait politely through a
stall and hide it; on a schedule, a stall delays every update due during it, as it would delay real
users. Updates go into the Application's update queue as ``Update.de_json(json.loads(raw))``, so the
parse is inside the measured time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence

from telegram import Update

from bench.apps import Runner


async def run_open_loop(
    items: Sequence[tuple[Runner, str]], rate: float, *, start_at: float | None = None
) -> list[tuple[Runner, float, float]]:
    """Send each (runner, raw update) in turn at ``rate`` per second in all.

    Returns (runner, scheduled arrival, latency in seconds) per update. Interleaving two runners in
    one schedule puts them side by side: whatever else the machine does hits both alike.
    """
    runners = {id(runner): runner for runner, _raw in items}
    for runner in runners.values():
        pipe = runner.pipe
        if pipe.done_at is None:
            pipe.done_at = {}
        pipe.expect(pipe.done + sum(1 for r, _ in items if r is runner))
    t0 = start_at if start_at is not None else time.perf_counter()
    scheduled: list[tuple[Runner, int, float]] = []
    for k, (runner, raw) in enumerate(items):
        due = t0 + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        update = Update.de_json(json.loads(raw), runner.app.bot)
        scheduled.append((runner, update.update_id, due))
        runner.app.update_queue.put_nowait(update)
    for runner in runners.values():
        await runner.pipe.finished(timeout=120)
    return [(runner, due, runner.pipe.done_at.pop(uid) - due) for runner, uid, due in scheduled]  # type: ignore[union-attr]


class LoopLag:
    """How late the event loop wakes a task that asked to sleep ``interval`` seconds: its stalls."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            after = time.perf_counter()
            self.samples.append((before, after - before - self.interval))

    def between(self, start: float, end: float) -> list[float]:
        return [lag for at, lag in self.samples if start <= at < end]
