"""Coalescing concurrent calls into one statement: the way many views share one round trip.

A bot under load handles up to 256 updates at once, and most of them ask the same question with a
different key ("the event with this link"). Sent one by one, each costs a round trip and, far more
on these machines, the driver's Python work around it. A ``Batcher`` collects the keys asked for in
one turn of the event loop and runs them as one batch; while all its batches are in flight, new keys
wait and go out together in the next. Alone, a call goes out on the next turn of the loop: no timer,
no added latency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

BatchRunner = Callable[[Sequence[K]], Awaitable[Sequence[V]]]


class Batcher(Generic[K, V]):
    """Run ``run(keys)`` for the keys of concurrent ``submit(key)`` calls; each gets its own result.

    ``run`` must return one result per key, in order. If it raises, every caller in that batch gets
    the exception; the next batch is unaffected. At most ``in_flight`` batches run at once, each of at
    most ``max_size`` keys.
    """

    def __init__(self, run: BatchRunner[K, V], *, max_size: int = 100, in_flight: int = 2) -> None:
        if max_size < 1 or in_flight < 1:
            raise ValueError("max_size and in_flight must be at least 1")
        self._run = run
        self._max_size = max_size
        self._in_flight = in_flight
        self._pending: list[tuple[K, asyncio.Future[V]]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._scheduled = False
        self.batches = 0  # how many batches ran; for tests and benchmarks

    async def submit(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        self._pending.append((key, future))
        if not self._scheduled:
            # The next turn of the loop, so the other tasks that are ready now can add their keys.
            self._scheduled = True
            loop.call_soon(self._dispatch)
        return await future

    def _dispatch(self) -> None:
        self._scheduled = False
        while self._pending and len(self._running) < self._in_flight:
            batch = self._pending[: self._max_size]
            del self._pending[: self._max_size]
            task = asyncio.ensure_future(self._run_batch(batch))
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._pending and not self._scheduled:
            self._dispatch()

    async def _run_batch(self, batch: list[tuple[K, asyncio.Future[V]]]) -> None:
        # Keys whose caller gave up (a cancelled handler) still go: the rest of the batch needs them
        # in order, and a result nobody waits for costs nothing.
        self.batches += 1
        try:
            results = await self._run([key for key, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} keys returned {len(results)} results")
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (the bot is stopping): so are its callers
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def close(self) -> None:
        """Wait for the batches in flight (and those still waiting) to finish."""
        while self._running or self._pending:
            if self._pending and not self._running:
                self._dispatch()
            await asyncio.gather(*self._running, return_exceptions=True)
