"""Telegram replaced at the request layer: canned Bot API answers, and a getUpdates feed.

``CannedRequest`` is a python-telegram-bot ``BaseRequest`` with no sockets. It answers each method
with fixed ``{"ok": true, "result": ...}`` bytes: ``sendMessage`` and ``editMessageText`` a plausible
Message in the chat they were sent to (with the text sent, a fresh message id), ``getMe`` the bot,
everything else ``true``. It still reads the request's JSON-encoded parameters, as a real transport
has to, so what PTB does to build a request is paid in full.

``getUpdates`` is served from an ``UpdatePipe``: the benchmark queues raw update JSON, and the pipe
hands it out in batches of up to 100 (the Bot API's limit), keeping at most ``window`` updates
outstanding: delivered to the bot and not yet fully handled. A counting handler in the last handler
group marks each update done, so the pipe knows when a batch of work is finished and when each update
finished (for latencies).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import Any

from telegram import Update
from telegram.ext import Application, TypeHandler
from telegram.request import BaseRequest, RequestData

BOT_ID = 123456
BOT_TOKEN = f"{BOT_ID}:BENCH-TOKEN-not-a-real-one"
BOT_USERNAME = "SkedjitBenchBot"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Skedjit", "username": BOT_USERNAME}
_BOT_JSON = json.dumps(BOT_USER)
_GET_ME = json.dumps(
    {
        "ok": True,
        "result": {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        },
    }
).encode()
_TRUE = b'{"ok":true,"result":true}'
# Groups of the bench are supergroups; a positive chat id is a user's private chat.
DONE_GROUP = 1_000_000  # the handler group of the counting handler: after all of the bot's own


class UpdatePipe:
    """Raw updates in, batches out through getUpdates; completions counted by a handler."""

    def __init__(self, window: int = 1024) -> None:
        self.window = window
        self._queued: deque[str] = deque()
        self._source: Iterator[str] | None = None
        self._source_left = 0
        self.delivered = 0
        self.done = 0
        self.errors: Counter[str] = Counter()
        self.error_samples: dict[str, str] = {}  # the first message of each kind of error
        self._wake = asyncio.Event()
        self._target = 0
        self._finished = asyncio.Event()
        self.first_delivery: float | None = None
        self.last_done: float | None = None
        self.done_at: dict[int, float] | None = None

    # -- the benchmark's side

    def attach(self, application: Application) -> None:  # type: ignore[type-arg]
        """Count each update once every handler group has seen it; count the errors the bot reports."""
        application.add_handler(TypeHandler(Update, self._mark_done), group=DONE_GROUP)
        application.add_error_handler(self._count_error)

    def push(self, raw_updates: Iterable[str], *, count: int | None = None) -> None:
        """Queue JSON-encoded updates; a generator with ``count`` is read lazily (constant memory)."""
        if count is None:
            self._queued.extend(raw_updates)
        else:
            self._source, self._source_left = iter(raw_updates), count
        self._wake.set()

    def expect(self, total_done: int) -> None:
        self._target = total_done
        self._finished.clear()
        if self.done >= total_done:
            self._finished.set()

    async def finished(self, timeout: float) -> None:  # noqa: ASYNC109 - a deadline for the whole run
        await asyncio.wait_for(self._finished.wait(), timeout)

    def reset_clock(self) -> None:
        self.first_delivery = None
        self.last_done = None

    @property
    def outstanding(self) -> int:
        return self.delivered - self.done

    # -- the bot's side

    async def get_updates(self, limit: int, timeout: float) -> bytes:  # noqa: ASYNC109 - the long poll's own
        deadline = time.perf_counter() + timeout
        while not (self._available() and self.outstanding < self.window):
            self._wake.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return b'{"ok":true,"result":[]}'
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                return b'{"ok":true,"result":[]}'
        take = min(limit, self.window - self.outstanding)
        batch = self._take(take)
        self.delivered += len(batch)
        if self.first_delivery is None:
            self.first_delivery = time.perf_counter()
        return b'{"ok":true,"result":[' + ",".join(batch).encode() + b"]}"

    def _available(self) -> bool:
        return bool(self._queued) or self._source_left > 0

    def _take(self, n: int) -> list[str]:
        batch: list[str] = []
        while self._queued and len(batch) < n:
            batch.append(self._queued.popleft())
        while self._source is not None and self._source_left > 0 and len(batch) < n:
            batch.append(next(self._source))
            self._source_left -= 1
        return batch

    async def _mark_done(self, update: Update, _context: object) -> None:
        self.done += 1
        now = time.perf_counter()
        self.last_done = now
        if self.done_at is not None:
            self.done_at[update.update_id] = now
        if self.outstanding < self.window:
            self._wake.set()
        if self._target and self.done >= self._target:
            self._finished.set()

    async def _count_error(self, _update: object, context: Any) -> None:
        name = type(context.error).__module__ + "." + type(context.error).__name__
        self.errors[name] += 1
        self.error_samples.setdefault(name, str(context.error)[:500])


class CannedRequest(BaseRequest):
    """A BaseRequest answering from memory; counts the methods called and the cards sent."""

    def __init__(self, pipe: UpdatePipe | None = None) -> None:
        self.pipe = pipe
        self.calls: Counter[str] = Counter()
        self.cards_sent = 0
        self._message_ids = itertools.count(10_000_000)
        self.sample_texts: deque[str] = deque(maxlen=20)

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[1]
        self.calls[api_method] += 1
        params = request_data.json_parameters if request_data is not None else {}
        if api_method in ("sendMessage", "editMessageText"):
            return 200, self._message(params)
        if api_method == "getUpdates":
            if self.pipe is None:
                return 200, b'{"ok":true,"result":[]}'
            limit = int(params.get("limit", 100))
            timeout = float(params.get("timeout", 0))
            return 200, await self.pipe.get_updates(limit, timeout)
        if api_method == "getMe":
            return 200, _GET_ME
        return 200, _TRUE

    def _message(self, params: dict[str, str]) -> bytes:
        if "inline_message_id" in params:
            return _TRUE
        chat_id = int(params["chat_id"])
        text = params.get("text", "")
        if "🔗" in text:
            self.cards_sent += 1
        self.sample_texts.append(text)
        message_id = int(params["message_id"]) if "message_id" in params else next(self._message_ids)
        chat = (
            f'{{"id":{chat_id},"type":"supergroup","title":"Bench group"}}'
            if chat_id < 0
            else f'{{"id":{chat_id},"type":"private","first_name":"Bench"}}'
        )
        return (
            f'{{"ok":true,"result":{{"message_id":{message_id},"from":{_BOT_JSON},"chat":{chat},'
            f'"date":{int(time.time())},"text":{json.dumps(text)}}}}}'
        ).encode()
