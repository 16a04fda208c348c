"""The webhook endpoint and health check, in-process over real HTTP on loopback."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.webhook import HEALTH_PATH, SECRET_HEADER, WEBHOOK_PATH, make_web_app
from core.storage.engine import make_engine
from tests.bot.conftest import BotHarness

SECRET = "s3cret-Webhook-token_0123456789"


async def client_for(harness: BotHarness) -> TestClient:
    client = TestClient(TestServer(make_web_app(harness.app, SECRET)))
    await client.start_server()
    return client


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
