"""A TCP proxy on 127.0.0.1 that a test can cut and restore, to take a database away from a bot.

It runs its own asyncio loop in a daemon thread, so synchronous and asynchronous tests can both use it.
``cut()`` stops listening (new connections are refused) and aborts every open connection; ``restore()``
listens on the same port again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any

HOST = "127.0.0.1"
CONTROL_TIMEOUT = 5.0
CHUNK = 65536


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- control, from any thread -------------------------------------------------------------

    def start(self) -> int:
        """Listen on a free port (0) and return it."""
        self._thread.start()
        self._call(self._listen())
        return self.port

    def cut(self) -> None:
        """Refuse new connections and break the open ones, as when the database host goes away."""
        self._call(self._cut())

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        self._call(self._listen())

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CONTROL_TIMEOUT)
        if not self._thread.is_alive():
            self._loop.close()

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(CONTROL_TIMEOUT)

    # -- inside the proxy's loop ----------------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._accept, HOST, self.port, reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=CONTROL_TIMEOUT)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(*self.target), CONTROL_TIMEOUT
            )
        except (OSError, TimeoutError):
            writer.transport.abort()
            self._writers.discard(writer)
            return
        if writer not in self._writers:  # cut while connecting upstream
            up_writer.transport.abort()
            return
        self._writers.add(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(CHUNK):
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            sink.transport.abort()
            self._writers.discard(sink)
