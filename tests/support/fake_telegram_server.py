"""The fake Telegram Bot API over HTTP (aiohttp), with /_test/ control endpoints and a client.

Bot API:   ``{base}/bot{token}/{method}`` — point PTB at it with ``base_url=f"{base}/bot"``.
Control:   JSON endpoints under ``{base}/_test/`` (see ``_CONTROL_ROUTES``), driven by
           :class:`FakeTelegramClient`.
Run:       ``python -m tests.support.fake_telegram_server --port 0`` prints ``LISTENING <port>``;
           or ``async with running_server() as (client, base_url): ...`` inside a test's loop.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import inspect
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import httpx
from aiohttp import BodyPartReader, web

from .fake_dispatch import MAX_LONG_POLL, dispatch
from .fake_telegram import FakeTelegram, JsonDict, RateLimits, UploadedFile

T = TypeVar("T")
HOST = "127.0.0.1"
FAKE_KEY = web.AppKey("fake_telegram", FakeTelegram)
LONG_POLL_KEY = web.AppKey("max_long_poll", float)
MAX_UPLOAD_BYTES = 60 * 1024 * 1024

# -- Bot API endpoint ---------------------------------------------------------------------------


async def _read_api_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters from the query string plus a JSON, urlencoded or multipart body."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                content = bytes(await part.read())
                mime = part.headers.get("Content-Type")
                files[part.name] = UploadedFile(filename=part.filename, content=content, mime_type=mime)
            else:
                params[part.name] = await part.text()
    elif request.can_read_body:
        params.update(await request.post())
    return params, files


async def _bot_api(request: web.Request) -> web.Response:
    """POST/GET /bot{token}/{method}: one Bot API call."""
    params, files = await _read_api_params(request)
    status, body = await dispatch(
        request.app[FAKE_KEY],
        request.match_info["method"],
        params,
        files,
        token=request.match_info["token"],
        max_long_poll=request.app[LONG_POLL_KEY],
    )
    return web.json_response(body, status=status)


# -- control endpoints --------------------------------------------------------------------------


def _message_ref(body: Mapping[str, Any]) -> JsonDict:
    """A message reference from ``chat_id`` + ``message_id`` (or ``inline_message_id``)."""
    if body.get("inline_message_id"):
        return {"inline_message_id": body["inline_message_id"]}
    return {"chat": {"id": body["chat_id"]}, "message_id": body["message_id"]}


def _documents(fake: FakeTelegram, query: Mapping[str, str]) -> list[JsonDict]:
    """documents_in with the bytes base64-encoded as ``content_base64``."""
    documents = fake.documents_in(int(query["chat_id"]))
    for doc in documents:
        content = doc.pop("content")
        doc["content_base64"] = base64.b64encode(content or b"").decode()
    return documents


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


Control = Callable[[FakeTelegram, Mapping[str, Any]], Any]

_CONTROL_POST: dict[str, Control] = {
    "users": lambda f, b: f.add_user(
        b["first_name"],
        b.get("username"),
        b.get("user_id"),
        last_name=b.get("last_name"),
        language_code=b.get("language_code", "en"),
    ),
    "groups": lambda f, b: f.add_group(
        b["title"],
        b.get("chat_id"),
        supergroup=b.get("supergroup", True),
        bot_is_admin=b.get("bot_is_admin", True),
        username=b.get("username"),
    ),
    "channels": lambda f, b: f.add_channel(b["title"], b.get("username"), b.get("chat_id")),
    "members": lambda f, b: f.set_member(b["chat_id"], b["user_id"], b.get("status", "member")),
    "send": lambda f, b: f.user_sends(b["user_id"], b["chat_id"], b["text"], b.get("reply_to_message_id")),
    "anonymous_send": lambda f, b: f.anonymous_admin_sends(
        b["chat_id"], b["text"], b.get("author_signature")
    ),
    "channel_post": lambda f, b: f.channel_post(b["chat_id"], b["text"]),
    "edit": lambda f, b: f.user_edits(_message_ref(b), b["text"]),
    "tap": lambda f, b: f.user_taps(b["user_id"], _message_ref(b), b["data"], forged=bool(b.get("forged"))),
    "send_as_channel": lambda f, b: f.member_sends_as_channel(b["channel_id"], b["chat_id"], b["text"]),
    "upgrade": lambda f, b: f.upgrade_to_supergroup(b["chat_id"]),
    "inline": lambda f, b: f.user_inline_query(b["user_id"], b["query"], chat_type=b.get("chat_type")),
    "inline_pick": lambda f, b: f.user_picks_inline_result(
        b["user_id"], {"id": b["inline_query_id"], "query": b.get("query", "")}, b["result_id"], b["chat_id"]
    ),
    "block": lambda f, b: f.block(b["user_id"]),
    "unblock": lambda f, b: f.unblock(b["user_id"]),
    "kick_bot": lambda f, b: f.kick_bot(b["chat_id"], b["by_user_id"]),
    "can_delete": lambda f, b: f.can_delete_in(b["chat_id"], b.get("allowed", True)),
    "fail_next": lambda f, b: f.fail_next(
        b["method"],
        b["error_code"],
        b.get("description"),
        b.get("retry_after"),
        b.get("count", 1),
        chat_id=b.get("chat_id"),
    ),
    "delay_next": lambda f, b: f.delay_next(
        b["method"], float(b["seconds"]), b.get("count", 1), chat_id=b.get("chat_id")
    ),
    "rate_limits": lambda f, b: f.rate_limits(
        b.get("enabled", True),
        RateLimits(**{k: tuple(v) for k, v in b["limits"].items()}) if b.get("limits") else None,
    ),
    "reset": lambda f, b: f.reset(),
    # Webhook tests play Telegram: they pop queued updates and POST them to the bot themselves.
    "take_updates": lambda f, b: f.take_updates(),
}

_CONTROL_GET: dict[str, Control] = {
    "messages": lambda f, q: f.messages_in(
        int(q["chat_id"]),
        include_deleted=_truthy(q.get("include_deleted")),
        include_user_messages=_truthy(q.get("include_user_messages")),
    ),
    "calls": lambda f, q: [c.to_json() for c in f.calls(q.get("method"))],
    "callback_answers": lambda f, q: f.callback_answers,
    "inline_answers": lambda f, q: f.inline_answers,
    "documents": _documents,
    "pinned": lambda f, q: f.pinned_message_ids(int(q["chat_id"])),
    "updates": lambda f, q: f.pending_updates(),
    "me": lambda f, q: {**f.bot_user, "token": f.token},
}


def _control_handler(action: Control, *, from_body: bool) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a control action: JSON (or query) in, JSON out; test-side mistakes become 400."""

    async def handler(request: web.Request) -> web.Response:
        args: Mapping[str, Any] = request.query
        if from_body:
            args = await request.json() if request.can_read_body else {}
        try:
            result = action(request.app[FAKE_KEY], args)
        except (KeyError, ValueError, TypeError) as exc:
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=400)
        return web.json_response({"result": result})

    return handler


def create_app(fake: FakeTelegram | None = None, *, max_long_poll: float = MAX_LONG_POLL) -> web.Application:
    """The aiohttp application serving the Bot API and the /_test/ control endpoints."""
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    app[FAKE_KEY] = fake if fake is not None else FakeTelegram()
    app[LONG_POLL_KEY] = max_long_poll
    app.router.add_route("*", "/bot{token}/{method}", _bot_api)
    for name, action in _CONTROL_POST.items():
        app.router.add_post(f"/_test/{name}", _control_handler(action, from_body=True))
    for name, action in _CONTROL_GET.items():
        app.router.add_get(f"/_test/{name}", _control_handler(action, from_body=False))
    return app


# -- running it ---------------------------------------------------------------------------------


@dataclass
class RunningServer:
    """A started server: where it listens and the state behind it."""

    runner: web.AppRunner
    port: int
    fake: FakeTelegram

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:8081 (control client base)."""
        return f"http://{HOST}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """What to pass as PTB's base_url (it appends ``{token}/{method}``)."""
        return f"{self.url}/bot"

    async def close(self) -> None:
        """Stop listening and cancel pending long polls."""
        await self.runner.cleanup()


async def serve(
    host: str = HOST, port: int = 0, fake: FakeTelegram | None = None, *, max_long_poll: float = MAX_LONG_POLL
) -> RunningServer:
    """Start the server on ``host:port`` (loopback only; 0 picks a free port) in the current loop."""
    if host not in (HOST, "localhost"):
        raise ValueError("the fake Telegram server only binds to 127.0.0.1")
    app = create_app(fake, max_long_poll=max_long_poll)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port)
    await site.start()
    bound_port = int(runner.addresses[0][1])
    return RunningServer(runner=runner, port=bound_port, fake=app[FAKE_KEY])


@asynccontextmanager
async def running_server(
    fake: FakeTelegram | None = None, *, max_long_poll: float = MAX_LONG_POLL
) -> AsyncIterator[tuple[FakeTelegramClient, str]]:
    """Run the server inside this event loop; yields (control client, PTB base_url)."""
    server = await serve(fake=fake, max_long_poll=max_long_poll)
    try:
        async with FakeTelegramClient(server.url) as client:
            yield client, server.bot_base_url
    finally:
        await server.close()


# -- control client -----------------------------------------------------------------------------


class FakeTelegramControlError(RuntimeError):
    """A /_test/ endpoint rejected the request (e.g. tapping a button that does not exist)."""


def _id(ref: Any) -> Any:
    return ref["id"] if isinstance(ref, Mapping) else ref


def _message_fields(message: Mapping[str, Any]) -> JsonDict:
    if message.get("inline_message_id"):
        return {"inline_message_id": message["inline_message_id"]}
    return {"chat_id": message["chat"]["id"], "message_id": message["message_id"]}


class FakeTelegramClient:
    """Async client for the /_test/ endpoints; method names mirror FakeTelegram's."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def __aenter__(self) -> FakeTelegramClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    @property
    def bot_base_url(self) -> str:
        """PTB's base_url for this server."""
        return f"{self.base_url}/bot"

    async def _post(self, name: str, **body: Any) -> Any:
        response = await self._http.post(f"/_test/{name}", json=body)
        return self._result(response)

    async def _get(self, name: str, **query: Any) -> Any:
        params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items() if v is not None}
        response = await self._http.get(f"/_test/{name}", params=params)
        return self._result(response)

    @staticmethod
    def _result(response: httpx.Response) -> Any:
        body = response.json()
        if response.status_code != 200:
            raise FakeTelegramControlError(body.get("error", response.text))
        return body["result"]

    # world setup
    async def add_user(
        self,
        first_name: str,
        username: str | None = None,
        user_id: int | None = None,
        *,
        language_code: str | None = "en",
    ) -> JsonDict:
        """Create a user (their Telegram app in ``language_code``)."""
        return await self._post(
            "users", first_name=first_name, username=username, user_id=user_id, language_code=language_code
        )

    async def add_group(
        self, title: str, chat_id: int | None = None, *, supergroup: bool = True, bot_is_admin: bool = True
    ) -> JsonDict:
        """Create a group the bot is in."""
        return await self._post(
            "groups", title=title, chat_id=chat_id, supergroup=supergroup, bot_is_admin=bot_is_admin
        )

    async def add_channel(self, title: str, username: str | None = None) -> JsonDict:
        """Create a channel where the bot is admin."""
        return await self._post("channels", title=title, username=username)

    async def set_member(self, group: Any, user: Any, status: str = "member") -> None:
        """Set a user's status in a group."""
        await self._post("members", chat_id=_id(group), user_id=_id(user), status=status)

    async def block(self, user: Any) -> None:
        """The user blocks the bot."""
        await self._post("block", user_id=_id(user))

    async def unblock(self, user: Any) -> None:
        """The user unblocks the bot."""
        await self._post("unblock", user_id=_id(user))

    async def kick_bot(self, group: Any, by: Any) -> None:
        """Remove the bot from a group."""
        await self._post("kick_bot", chat_id=_id(group), by_user_id=_id(by))

    async def can_delete_in(self, group: Any, allowed: bool = True) -> None:
        """Grant/revoke the bot's right to delete others' messages."""
        await self._post("can_delete", chat_id=_id(group), allowed=allowed)

    async def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
        *,
        chat: Any = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (only those addressed to ``chat``, if given)."""
        await self._post(
            "fail_next",
            method=method,
            error_code=error_code,
            description=description,
            retry_after=retry_after,
            count=count,
            chat_id=_id(chat) if chat is not None else None,
        )

    async def delay_next(self, method: str, seconds: float, count: int = 1, *, chat: Any = None) -> None:
        """Make the next ``count`` calls of ``method`` (to ``chat``, if given) answer ``seconds`` late."""
        await self._post(
            "delay_next",
            method=method,
            seconds=seconds,
            count=count,
            chat_id=_id(chat) if chat is not None else None,
        )

    async def rate_limits(self, enabled: bool = True, **limits: tuple[int, float]) -> None:
        """Turn flood control on or off; ``limits`` override RateLimits' windows (per_group=(20, 60.0))."""
        await self._post("rate_limits", enabled=enabled, limits=limits or None)

    async def reset(self) -> None:
        """Forget all state."""
        await self._post("reset")

    # user actions
    async def user_sends(self, user: Any, chat: Any, text: str, reply_to: Any = None) -> JsonDict:
        """A user sends text in a chat; returns the Message."""
        reply_id = reply_to["message_id"] if isinstance(reply_to, Mapping) else reply_to
        return await self._post(
            "send", user_id=_id(user), chat_id=_id(chat), text=text, reply_to_message_id=reply_id
        )

    async def anonymous_admin_sends(self, group: Any, text: str) -> JsonDict:
        """An anonymous admin sends text in a group."""
        return await self._post("anonymous_send", chat_id=_id(group), text=text)

    async def channel_post(self, channel: Any, text: str) -> JsonDict:
        """A post appears in a channel."""
        return await self._post("channel_post", chat_id=_id(channel), text=text)

    async def user_edits(self, message: Mapping[str, Any], new_text: str) -> JsonDict:
        """The author edits a message."""
        return await self._post("edit", **_message_fields(message), text=new_text)

    async def user_taps(
        self, user: Any, message: Mapping[str, Any], callback_data: str, *, forged: bool = False
    ) -> JsonDict:
        """A user taps an inline button (``forged``: data no button carries); returns the CallbackQuery."""
        return await self._post(
            "tap", user_id=_id(user), **_message_fields(message), data=callback_data, forged=forged
        )

    async def member_sends_as_channel(self, channel: Any, group: Any, text: str) -> JsonDict:
        """A member posts in a group as a channel."""
        return await self._post("send_as_channel", channel_id=_id(channel), chat_id=_id(group), text=text)

    async def upgrade_to_supergroup(self, group: Any) -> JsonDict:
        """A basic group becomes a supergroup; returns the new chat."""
        return await self._post("upgrade", chat_id=_id(group))

    async def user_inline_query(self, user: Any, query: str) -> JsonDict:
        """A user types an inline query; returns the InlineQuery."""
        return await self._post("inline", user_id=_id(user), query=query)

    async def user_picks_inline_result(
        self, user: Any, inline_query: Mapping[str, Any], result_id: str, chat: Any
    ) -> JsonDict:
        """A user posts an answered inline result in a chat."""
        return await self._post(
            "inline_pick",
            user_id=_id(user),
            inline_query_id=inline_query["id"],
            query=inline_query.get("query", ""),
            result_id=result_id,
            chat_id=_id(chat),
        )

    # queries
    async def messages_in(
        self, chat: Any, *, include_deleted: bool = False, include_user_messages: bool = False
    ) -> list[JsonDict]:
        """Bot messages in a chat (current text, html, reply_markup, deleted, pinned)."""
        return await self._get(
            "messages",
            chat_id=_id(chat),
            include_deleted=include_deleted,
            include_user_messages=include_user_messages,
        )

    async def last_message(self, chat: Any) -> JsonDict | None:
        """The latest present bot message in a chat."""
        messages = await self.messages_in(chat)
        return messages[-1] if messages else None

    async def calls(self, method: str | None = None) -> list[JsonDict]:
        """Logged API calls: {method, params, files, status, response}."""
        return await self._get("calls", method=method)

    async def callback_answers(self) -> list[JsonDict]:
        """Successful answerCallbackQuery calls."""
        return await self._get("callback_answers")

    async def inline_answers(self) -> list[JsonDict]:
        """Successful answerInlineQuery calls."""
        return await self._get("inline_answers")

    async def documents_in(self, chat: Any) -> list[JsonDict]:
        """Documents sent to a chat, with ``content`` decoded to bytes."""
        documents = await self._get("documents", chat_id=_id(chat))
        for doc in documents:
            doc["content"] = base64.b64decode(doc.pop("content_base64"))
        return documents

    async def pinned_message_ids(self, chat: Any) -> list[int]:
        """Ids of pinned messages in a chat."""
        return await self._get("pinned", chat_id=_id(chat))

    async def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by the bot."""
        return await self._get("updates")

    async def take_updates(self) -> list[JsonDict]:
        """Pop every queued update, oldest first (to deliver them by webhook yourself)."""
        return await self._post("take_updates")


@overload
async def wait_until(
    fn: Callable[[], Awaitable[T]],
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
) -> T: ...
@overload
async def wait_until(
    fn: Callable[[], T],
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
) -> T: ...
async def wait_until(
    fn: Callable[[], Any],
    timeout: float = 10.0,  # noqa: ASYNC109 - a polling deadline, not a cancellation scope
    interval: float = 0.05,
) -> Any:
    """Poll ``fn`` (sync or async) until it returns something truthy; return that or raise TimeoutError."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = fn()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() >= deadline:
            raise TimeoutError(f"condition not met within {timeout} seconds")
        await asyncio.sleep(interval)


# -- CLI ----------------------------------------------------------------------------------------


async def _serve_until_signalled(args: argparse.Namespace) -> None:
    fake = FakeTelegram(bot_username=args.bot_username, token=args.token, first_id=args.first_id)
    server = await serve(port=args.port, fake=fake, max_long_poll=args.max_long_poll)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"LISTENING {server.port}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def main(argv: list[str] | None = None) -> None:
    """CLI: serve until SIGINT/SIGTERM; prints ``LISTENING <port>`` once ready."""
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server for tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--bot-username", default="SkedjitTestBot")
    parser.add_argument("--token", default=None, help="the one valid token (default 123456:TEST-TOKEN)")
    parser.add_argument("--max-long-poll", type=float, default=MAX_LONG_POLL)
    parser.add_argument(
        "--first-id",
        type=int,
        default=1,
        help="start of the id counter (separate ranges for shared databases)",
    )
    asyncio.run(_serve_until_signalled(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
