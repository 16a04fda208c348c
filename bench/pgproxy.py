"""A loopback TCP proxy in front of PostgreSQL that counts round trips, reading the wire protocol.

The bot connects to the proxy (127.0.0.1, a free port) instead of the server. The proxy forwards
every byte unchanged and watches the conversation: a *round trip* is a turn of the client's, the
messages it sends before the server answers (asyncpg sends Parse/Bind/Execute/Sync together, and then
waits). Each turn is labelled by what it asked for: ``BEGIN``, ``COMMIT``, ``ROLLBACK`` (simple
queries), ``SELECT events`` (an execution, with the table it reads), ``prepare SELECT events`` (a
statement prepared before its first execution), and ``ping`` for SQLAlchemy's pre-ping, which on
asyncpg is three turns of its own: ``BEGIN``, ``;``, ``ROLLBACK``.

The proxy refuses SSL (it answers ``N`` to SSLRequest) so it can read the protocol; the server here
has SSL off anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct
from collections import Counter, deque
from dataclasses import dataclass, field

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
_TABLE_RE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


def describe(sql: str) -> str:
    """``SELECT events+rsvps``, ``INSERT posted_cards``, ``BEGIN``... from a statement's text (every
    table it names, in order)."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        return "ping"
    verb = text.split(None, 1)[0].upper()
    if verb in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
        return verb
    tables = [t for t in dict.fromkeys(_TABLE_RE.findall(text)) if t.lower() not in ("select", "lateral")]
    return f"{verb} {'+'.join(tables)}" if tables else verb


@dataclass
class _Turn:
    kinds: list[str] = field(default_factory=list)
    label: str = ""


class _Connection:
    def __init__(self, proxy: PgProxy, number: int) -> None:
        self.proxy = proxy
        self.number = number
        self.ready = False  # after the first ReadyForQuery: the start-up exchange is over
        self.statements: dict[bytes, str] = {}
        self.turn: _Turn | None = None
        self.previous: str = ""
        self._client = bytearray()

    def client_data(self, data: bytes) -> None:
        self._client.extend(data)
        while len(self._client) >= 5:
            kind = chr(self._client[0])
            (length,) = struct.unpack_from("!i", self._client, 1)
            if len(self._client) < 1 + length:
                return
            body = bytes(self._client[5 : 1 + length])
            del self._client[: 1 + length]
            self._client_message(kind, body)

    def _client_message(self, kind: str, body: bytes) -> None:
        if not self.ready:
            return
        if kind == "X":  # Terminate: no answer comes
            self.proxy.closes += 1
            return
        if self.turn is None:
            self.turn = _Turn()
        self.turn.kinds.append(kind)
        if kind == "Q":
            self.turn.label = self.turn.label or describe(body.split(b"\0", 1)[0].decode(errors="replace"))
            self.proxy.statements += 1
        elif kind == "P":
            name, rest = body.split(b"\0", 1)
            sql = rest.split(b"\0", 1)[0].decode(errors="replace")
            self.statements[name] = sql
            if not self.turn.label:
                self.turn.label = "prepare " + describe(sql)
        elif kind == "B":
            _portal, rest = body.split(b"\0", 1)
            name = rest.split(b"\0", 1)[0]
            self.turn.label = describe(self.statements.get(name, "?"))
        elif kind == "E":
            self.proxy.statements += 1
        elif kind == "C" and not self.turn.label:
            self.turn.label = "close statement"

    def server_data(self, data: bytes) -> None:
        if not self.ready:
            if b"Z\x00\x00\x00\x05" in data:
                self.ready = True
            return
        if self.turn is not None:
            self._finish(self.turn)
            self.turn = None

    def _finish(self, turn: _Turn) -> None:
        label = turn.label or "other " + "".join(turn.kinds)
        counts = self.proxy.labels
        # SQLAlchemy's pre-ping on asyncpg: BEGIN, then ";" (prepared the first time), then ROLLBACK.
        if label in ("ping", "prepare ping") and self.previous == "BEGIN":
            counts["BEGIN"] -= 1
            counts["ping: BEGIN"] += 1
            self._retrace("ping: BEGIN")
        if label == "ping":
            label = "ping: ;"
        elif label == "prepare ping":
            label = "ping: prepare ;"
        elif label == "ROLLBACK" and self.previous.startswith("ping:"):
            label = "ping: ROLLBACK"
        counts[label] += 1
        self.proxy.round_trips += 1
        self.proxy.trace.append((self.number, label))
        self.previous = label

    def _retrace(self, label: str) -> None:
        trace = self.proxy.trace
        for i in range(len(trace) - 1, -1, -1):
            if trace[i][0] == self.number:
                trace[i] = (self.number, label)
                return


class PgProxy:
    """Counts round trips (``round_trips``), executed statements (``statements``) and turns by label."""

    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.round_trips = 0
        self.statements = 0
        self.connects = 0
        self.closes = 0
        self.labels: Counter[str] = Counter()
        self.trace: deque[tuple[int, str]] = deque(maxlen=10_000)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def snapshot(self) -> tuple[int, int, Counter[str]]:
        return self.round_trips, self.statements, self.labels.copy()

    def trace_since(self, mark: int) -> list[str]:
        return [label for _conn, label in list(self.trace)[mark:]]

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connects += 1
        connection = _Connection(self, self.connects)
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
            # Start-up: answer SSL/GSS requests with "N" ourselves, then pass the StartupMessage on.
            while True:
                header = await client_reader.readexactly(8)
                length, code = struct.unpack("!ii", header)
                if code in (SSL_REQUEST, GSSENC_REQUEST):
                    client_writer.write(b"N")
                    await client_writer.drain()
                    continue
                server_writer.write(header + await client_reader.readexactly(length - 8))
                break
        except (ConnectionError, asyncio.IncompleteReadError):
            client_writer.close()
            return
        up = asyncio.create_task(self._pump(client_reader, server_writer, connection.client_data))
        down = asyncio.create_task(self._pump(server_reader, client_writer, connection.server_data))
        self._tasks.update((up, down))
        try:
            await asyncio.wait((up, down), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (up, down):
                task.cancel()
                self._tasks.discard(task)
            for writer in (client_writer, server_writer):
                with contextlib.suppress(Exception):
                    writer.close()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, observe: object) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await reader.read(65536):
                observe(data)  # type: ignore[operator]
                writer.write(data)
                await writer.drain()
