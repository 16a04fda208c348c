"""The batcher behind views: concurrent calls share one statement, and each still gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from core.storage.batching import Batcher


class Recorder:
    """A batch function that remembers each batch and answers ``key * 10``; it can be held back."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_next: Exception | None = None

    async def __call__(self, keys: Sequence[int]) -> list[int]:
        self.batches.append(list(keys))
        await self.gate.wait()
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        return [key * 10 for key in keys]


async def test_calls_made_together_share_one_batch_and_each_gets_its_own_answer():
    run = Recorder()
    batcher = Batcher(run)

    answers = await asyncio.gather(*(batcher.submit(key) for key in [3, 1, 3, 2]))

    assert answers == [30, 10, 30, 20]
    assert run.batches == [[3, 1, 3, 2]]


async def test_a_lone_call_goes_out_at_once():
    run = Recorder()
    batcher = Batcher(run)

    assert await asyncio.wait_for(batcher.submit(7), timeout=0.5) == 70
    assert await asyncio.wait_for(batcher.submit(8), timeout=0.5) == 80
    assert run.batches == [[7], [8]]


async def test_calls_made_while_every_batch_is_in_flight_wait_and_go_out_together():
    run = Recorder()
    batcher = Batcher(run, in_flight=1)
    run.gate.clear()
    first = asyncio.ensure_future(batcher.submit(1))
    await asyncio.sleep(0.01)
    assert run.batches == [[1]]

    later = [asyncio.ensure_future(batcher.submit(key)) for key in (2, 3)]
    await asyncio.sleep(0)
    later.append(asyncio.ensure_future(batcher.submit(4)))  # a later turn of the loop, same batch
    await asyncio.sleep(0.01)
    assert run.batches == [[1]]

    run.gate.set()
    assert await asyncio.gather(first, *later) == [10, 20, 30, 40]
    assert run.batches == [[1], [2, 3, 4]]


async def test_a_batch_never_exceeds_its_maximum_size():
    run = Recorder()
    batcher = Batcher(run, max_size=3, in_flight=4)

    answers = await asyncio.gather(*(batcher.submit(key) for key in range(8)))

    assert answers == [key * 10 for key in range(8)]
    assert run.batches == [[0, 1, 2], [3, 4, 5], [6, 7]]


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_works():
    run = Recorder()
    batcher = Batcher(run)
    run.fail_next = ConnectionError("server gone")

    results = await asyncio.gather(*(batcher.submit(key) for key in (1, 2)), return_exceptions=True)

    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    assert await batcher.submit(5) == 50


async def test_a_batch_returning_the_wrong_number_of_results_is_an_error_not_a_mix_up():
    async def short(keys: Sequence[int]) -> list[int]:
        return list(keys)[:-1]

    batcher = Batcher(short)
    results = await asyncio.gather(*(batcher.submit(key) for key in (1, 2)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_a_caller_that_gives_up_does_not_disturb_the_others_in_its_batch():
    run = Recorder()
    batcher = Batcher(run)
    run.gate.clear()
    impatient = asyncio.ensure_future(batcher.submit(1))
    patient = asyncio.ensure_future(batcher.submit(2))
    await asyncio.sleep(0.01)

    impatient.cancel()
    run.gate.set()

    assert await patient == 20
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_close_waits_for_what_was_asked_before_it():
    run = Recorder()
    batcher = Batcher(run)
    run.gate.clear()
    asked = [asyncio.ensure_future(batcher.submit(key)) for key in (1, 2)]
    await asyncio.sleep(0)

    closing = asyncio.ensure_future(batcher.close())
    await asyncio.sleep(0.01)
    assert not closing.done()
    run.gate.set()
    await closing

    assert [a.result() for a in asked] == [10, 20]


def test_sizes_below_one_are_refused():
    async def run(keys: Sequence[int]) -> list[int]:
        return list(keys)

    with pytest.raises(ValueError):
        Batcher(run, max_size=0)
    with pytest.raises(ValueError):
        Batcher(run, in_flight=0)
