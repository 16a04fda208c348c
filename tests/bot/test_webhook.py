"""The webhook endpoint and health check, in-process over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.webhook import HEALTH_PATH, SECRET_HEADER, WEBHOOK_PATH, make_web_app
from core.storage.engine import make_engine, make_session_factory
from tests.bot.conftest import BotHarness

SECRET = "s3cret-Webhook-token_0123456789"
# Bodies that parse as JSON (or not) but are no Update; python-telegram-bot fails on each differently.
NOT_UPDATES = [
    b"{not json",
    b"\xff\xfe not text",
    b"[]",
    b"1",
    b"null",
    b'"an update"',
    b"{}",
    b'{"update_id": 1, "message": 5}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": 5}}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 1e300, "chat": {"id": 1, "type": "private"}}}',
    b"[" * 100_000 + b"]" * 100_000,
]


async def client_for(harness: BotHarness) -> TestClient:
    client = TestClient(TestServer(make_web_app(harness.app, SECRET)))
    await client.start_server()
    return client


async def raw_post(client: TestClient, body: bytes, secret: bytes) -> int:
    """POST ``body`` with the secret header's bytes as given (aiohttp's client would not send them)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        head = (
            f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{SECRET_HEADER}: "
        )
        writer.write(head.encode() + secret + b"\r\n\r\n" + body)
        await writer.drain()
        status_line = await reader.readline()
        return int(status_line.split()[1])
    finally:
        writer.close()
        await writer.wait_closed()


def no_tracebacks_in(caplog: pytest.LogCaptureFixture) -> bool:
    return not [r for r in caplog.records if r.exc_info or r.levelno > logging.WARNING]


async def test_an_update_with_the_secret_is_handled_and_others_are_refused(harness: BotHarness, alice):
    client = await client_for(harness)
    try:
        harness.fake.user_sends(alice, alice, "/help")
        [raw] = harness.fake.take_updates()
        refused = await client.post(WEBHOOK_PATH, json=raw)
        wrong = await client.post(WEBHOOK_PATH, json=raw, headers={SECRET_HEADER: "guess"})
        assert (refused.status, wrong.status) == (403, 403)
        assert harness.said(alice) == []
        garbage = await client.post(WEBHOOK_PATH, data=b"{not json", headers={SECRET_HEADER: SECRET})
        assert garbage.status == 400
        accepted = await client.post(WEBHOOK_PATH, json=raw, headers={SECRET_HEADER: SECRET})
        assert accepted.status == 200
        assert "/newevent" in harness.last(alice)["text"]
    finally:
        await client.close()


async def test_a_wrong_secret_is_refused_whatever_bytes_it_has(
    harness: BotHarness, alice, caplog: pytest.LogCaptureFixture
):
    client = await client_for(harness)
    try:
        harness.fake.user_sends(alice, alice, "/help")
        [raw] = harness.fake.take_updates()
        body = json.dumps(raw).encode()
        statuses = {
            secret: await raw_post(client, body, secret)
            for secret in [
                b"\xff\xfe",
                "héllo".encode(),
                "héllo".encode("latin-1"),
                SECRET.encode() + b"\xe9",
            ]
        }
        assert statuses == dict.fromkeys(statuses, 403)
        assert harness.said(alice) == []
        assert no_tracebacks_in(caplog)
        assert await raw_post(client, body, SECRET.encode()) == 200
    finally:
        await client.close()


async def test_a_body_that_is_not_an_update_is_refused_with_400(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
):
    client = await client_for(harness)
    try:
        statuses = {}
        for body in NOT_UPDATES:
            answer = await client.post(WEBHOOK_PATH, data=body, headers={SECRET_HEADER: SECRET})
            statuses[body[:100]] = answer.status
        assert statuses == dict.fromkeys(statuses, 400)
        assert no_tracebacks_in(caplog)
    finally:
        await client.close()


async def test_an_update_that_fails_for_a_database_outage_is_acknowledged_and_the_user_told(
    harness: BotHarness, alice, group
):
    """200, so Telegram does not retry: the user was told to try again, and a late retry could double it."""
    client = await client_for(harness)
    data = harness.app.bot_data
    working = data.session_factory
    broken = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # nothing listens there
    data.session_factory = make_session_factory(broken)
    try:
        harness.fake.user_sends(alice, group, "/newevent 2031-12-05 19:30 | During the outage")
        [raw] = harness.fake.take_updates()
        answer = await client.post(WEBHOOK_PATH, json=raw, headers={SECRET_HEADER: SECRET})
        assert answer.status == 200
        assert "try again in a minute" in harness.last(group)["text"]
    finally:
        await client.close()
        await broken.dispose()
        data.session_factory = working
    assert not any("During the outage" in text for text in harness.said(group))


async def test_health_reports_whether_the_database_answers(harness: BotHarness, tmp_path):
    client = await client_for(harness)
    try:
        healthy = await client.get(HEALTH_PATH)
        assert healthy.status == 200
        assert (await healthy.json())["database"] == "ok"
        data = harness.app.bot_data
        working = data.engine
        data.engine = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # nothing listens there
        try:
            down = await client.get(HEALTH_PATH)
            assert down.status == 503
            assert (await down.json())["database"] == "unavailable"
        finally:
            await data.engine.dispose()
            data.engine = working
    finally:
        await client.close()
