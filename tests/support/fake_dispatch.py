"""Async glue shared by both transports: getUpdates long polling and waiting on the fake."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .fake_telegram import ApiError, FakeTelegram, JsonDict, UploadedFile, normalize_params

T = TypeVar("T")

MAX_LONG_POLL = 10.0
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


async def dispatch(
    fake: FakeTelegram,
    method: str,
    params: Mapping[str, Any],
    files: Mapping[str, UploadedFile] | None = None,
    *,
    token: str | None = None,
    max_long_poll: float = MAX_LONG_POLL,
) -> tuple[int, JsonDict]:
    """Answer one Bot API call like api.telegram.org, holding getUpdates until updates arrive."""
    if method.lower() == "getupdates" and fake.is_valid_token(token):
        if not await _long_poll(fake, params, max_long_poll):
            return fake.handle(method, params, files, token=token, error=ApiError(409, POLL_CONFLICT))
    elif delay := fake.take_delay(method, params):
        await asyncio.sleep(delay)
    return fake.handle(method, params, files, token=token)


async def _long_poll(fake: FakeTelegram, params: Mapping[str, Any], cap: float) -> bool:
    """Wait up to the poll's timeout for updates; False if a newer getUpdates superseded it."""
    try:
        decoded = normalize_params(params)
        timeout = min(float(decoded.get("timeout") or 0), cap)
        offset = decoded.get("offset")
    except (ApiError, TypeError, ValueError):
        return True  # let handle() report the bad parameters
    generation = fake.begin_poll()

    def done() -> bool:
        return fake.poll_generation != generation or not fake.should_wait(offset)

    if timeout > 0:
        with contextlib.suppress(TimeoutError):
            await wait_for(fake, done, timeout)
    return fake.poll_generation == generation


async def wait_for(
    fake: FakeTelegram,
    predicate: Callable[[], T],
    timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the condition, not a cancellation scope
) -> T:
    """Wait until ``predicate()`` is truthy, re-checking after every change to the fake; return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    changed = asyncio.Event()
    unsubscribe = fake.subscribe(changed.set)
    try:
        while not (result := predicate()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} seconds")
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
        return result
    finally:
        unsubscribe()
