"""A python-telegram-bot request backend that talks to a FakeTelegram in-process (no sockets).

Usage::

    fake = FakeTelegram()
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .request(FakeRequest(fake))
        .get_updates_request(FakeRequest(fake))
        .build()
    )
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram.request import BaseRequest, RequestData

from .fake_dispatch import MAX_LONG_POLL, dispatch
from .fake_telegram import FakeTelegram, UploadedFile


def split_api_url(url: str) -> tuple[str, str]:
    """(token, method) from a PTB request URL ``{base_url}{token}/{method}``."""
    segments = [unquote(s) for s in urlsplit(url).path.split("/") if s]
    if len(segments) < 2:
        raise ValueError(f"not a Bot API URL: {url}")
    return segments[-2].removeprefix("bot"), segments[-1]


def _read_files(request_data: RequestData) -> dict[str, UploadedFile]:
    """Multipart parts as PTB would upload them: (filename, bytes or file handle, mime type)."""
    files: dict[str, UploadedFile] = {}
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        raw = content if isinstance(content, bytes) else content.read()
        files[name] = UploadedFile(filename=filename, content=raw, mime_type=mime_type)
    return files


class FakeRequest(BaseRequest):
    """BaseRequest whose every Bot API call is answered by a FakeTelegram, wire-format faithful."""

    def __init__(self, fake: FakeTelegram, *, max_long_poll: float = MAX_LONG_POLL) -> None:
        self.fake = fake
        self.max_long_poll = max_long_poll

    @property
    def read_timeout(self) -> float:
        """Default read timeout PTB adds to getUpdates' timeout."""
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
        """Route the call to the fake using the same string-encoded parameters PTB puts on the wire."""
        token, api_method = split_api_url(url)
        params: dict[str, Any] = dict(request_data.json_parameters) if request_data else {}
        files = _read_files(request_data) if request_data and request_data.contains_files else {}
        status, body = await dispatch(
            self.fake, api_method, params, files, token=token, max_long_poll=self.max_long_poll
        )
        return status, json.dumps(body).encode()
