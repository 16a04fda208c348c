"""A real PTB Bot/Application works against the fake Telegram, in-process and over HTTP."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.support.fake_dispatch import wait_for
from tests.support.fake_request import FakeRequest
from tests.support.fake_telegram import FakeTelegram, RateLimits
from tests.support.fake_telegram_server import FakeTelegramClient, running_server, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Join", callback_data="join:1")]])


def said(description: str) -> str:
    """A pytest.raises pattern for a Telegram description (PTB changes its capitalisation)."""
    return f"(?i){re.escape(description)}"


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, request=FakeRequest(fake), get_updates_request=FakeRequest(fake)) as bot:
        yield bot


async def test_bot_round_trip_in_process(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.username, me.is_bot, me.supports_inline_queries, me.api_kwargs) == (
        "SkedjitTestBot",
        True,
        True,
        {},
    )
    alice = fake.add_user("Alice", "alice")
    fake.user_sends(alice, alice, "/start@SkedjitTestBot hi")

    [update] = await bot.get_updates(timeout=1)
    message = update.effective_message
    assert message is not None and message.text == "/start@SkedjitTestBot hi"
    assert message.parse_entities(["bot_command"]).popitem()[1] == "/start@SkedjitTestBot"
    assert update.effective_user is not None and update.effective_user.id == alice["id"]

    sent = await bot.send_message(
        alice["id"], "<b>Party</b> &amp; cake", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert (sent.text, sent.text_html, sent.reply_markup, sent.api_kwargs) == (
        "Party & cake",
        "<b>Party</b> &amp; cake",
        KEYBOARD,
        {},
    )
    stored = fake.last_message(alice)
    assert stored is not None and stored["html"] == "<b>Party</b> &amp; cake"

    fake.user_taps(alice, stored, "join:1")
    [tap] = await bot.get_updates(offset=update.update_id + 1)
    assert tap.callback_query is not None and tap.callback_query.data == "join:1"
    assert await bot.answer_callback_query(tap.callback_query.id, text="You're in")
    assert fake.callback_answers[0]["text"] == "You're in"

    edited = await bot.edit_message_text("Party (full)", chat_id=alice["id"], message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "Party (full)" and edited.reply_markup is None and edited.edit_date is not None

    document = await bot.send_document(alice["id"], io.BytesIO(b"BEGIN:VCALENDAR"), filename="party.ics")
    assert document.document is not None and document.document.mime_type == "text/calendar"
    assert fake.documents_in(alice)[0]["content"] == b"BEGIN:VCALENDAR"

    assert await bot.delete_message(alice["id"], sent.message_id)
    assert [m["message_id"] for m in fake.messages_in(alice)] == [document.message_id]


async def test_errors_match_telegram(fake: FakeTelegram, bot: Bot) -> None:
    group = fake.add_group("Friends")
    bob = fake.add_user("Bob")
    fake.user_sends(bob, group, "hello")  # the bot has met Bob, but he never opened a private chat
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(bob["id"], "psst")
    with pytest.raises(BadRequest, match=said("chat not found")):
        await bot.send_message(fake.add_user("Stranger")["id"], "hi")

    fake.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
        await bot.send_message(group["id"], "hi")

    with pytest.raises(BadRequest, match=said('parse entities: unsupported start tag "br"')):
        await bot.send_message(group["id"], "a<br>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=said("message is too long")):
        await bot.send_message(group["id"], "x" * 4097)
    too_long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=said("BUTTON_DATA_INVALID")):
        await bot.send_message(group["id"], "hi", reply_markup=too_long_data)

    sent = await bot.send_message(group["id"], "same")
    with pytest.raises(BadRequest, match=said("message is not modified")):
        await bot.edit_message_text("same", chat_id=group["id"], message_id=sent.message_id)
    await bot.delete_message(group["id"], sent.message_id)
    with pytest.raises(BadRequest, match=said("message to delete not found")):
        await bot.delete_message(group["id"], sent.message_id)

    fake.can_delete_in(group, False)
    users_message = fake.user_sends(bob, group, "spam")
    with pytest.raises(BadRequest, match=said("message can't be deleted")):
        await bot.delete_message(group["id"], users_message["message_id"])
    with pytest.raises(BadRequest, match=said("query is too old")):
        await bot.answer_callback_query("12345")

    with pytest.raises(InvalidToken):
        await Bot("999:WRONG", request=FakeRequest(fake)).initialize()
    assert [c.status for c in fake.calls("sendMessage")] == [403, 400, 429, 400, 400, 400, 200]


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.add_user("Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    fake.user_sends(alice, alice, "/start")
    updates = await asyncio.wait_for(poll, 1)
    assert updates[0].message is not None and updates[0].message.text == "/start"


async def test_application_polls_and_replies(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<i>Welcome!</i>")

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .request(FakeRequest(fake))
        .get_updates_request(FakeRequest(fake))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    alice = fake.add_user("Alice")
    async with app:
        await app.updater.start_polling(timeout=5)  # type: ignore[union-attr]
        await app.start()
        fake.user_sends(alice, alice, "/start")
        reply = await wait_for(fake, lambda: fake.last_message(alice), timeout=5)
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
    assert (
        reply is not None
        and reply["text"] == "Welcome!"
        and reply["entities"] == [{"type": "italic", "offset": 0, "length": 8}]
    )


def test_rate_limits_per_chat_with_a_fake_clock() -> None:
    now = [1000.0]
    fake = FakeTelegram(clock=lambda: now[0])
    fake.rate_limits(limits=RateLimits(per_chat=(2, 1.0)))
    alice = fake.add_user("Alice")
    fake.user_sends(alice, alice, "/start")
    send = {"chat_id": alice["id"], "text": "hi"}
    assert [fake.handle("sendMessage", send)[0] for _ in range(3)] == [200, 200, 429]
    assert fake.handle("sendMessage", send)[1]["parameters"] == {"retry_after": 1}
    now[0] += 1.0
    assert fake.handle("sendMessage", send)[0] == 200


async def test_bot_over_http() -> None:
    async with running_server() as (client, base_url):
        alice = await client.add_user("Alice", "alice")
        await client.user_sends(alice, alice, "/start")
        async with Bot("123456:TEST-TOKEN", base_url=base_url) as bot:
            assert bot.username == "SkedjitTestBot"
            [update] = await bot.get_updates(timeout=1)
            assert update.message is not None and update.message.text == "/start"

            sent = await bot.send_message(
                alice["id"], "<b>Party</b>", parse_mode="HTML", reply_markup=KEYBOARD
            )
            stored = await client.last_message(alice)
            assert stored is not None and (stored["text"], stored["html"]) == ("Party", "<b>Party</b>")

            await client.user_taps(alice, stored, "join:1")
            [tap] = await bot.get_updates(offset=update.update_id + 1, timeout=1)
            assert tap.callback_query is not None
            await bot.answer_callback_query(tap.callback_query.id, text="ok")
            assert (await client.callback_answers())[0]["text"] == "ok"

            await bot.edit_message_text("Party!", chat_id=alice["id"], message_id=sent.message_id)
            await bot.send_document(alice["id"], io.BytesIO(b"ics-bytes"), filename="p.ics", caption="Add")
            assert (await client.documents_in(alice))[0]["content"] == b"ics-bytes"
            assert await bot.delete_message(alice["id"], sent.message_id)

            await client.block(alice)
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await bot.send_message(alice["id"], "hi")
            await client.fail_next("getMe", 429, retry_after=3)
            with pytest.raises(RetryAfter):
                await bot.get_me()
        calls = await client.calls("sendMessage")
        assert [c["status"] for c in calls] == [200, 403]
        assert calls[0]["params"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "join:1"


async def test_concurrent_long_polls_conflict_over_http() -> None:
    async with running_server() as (_, base_url):
        async with (
            Bot("123456:TEST-TOKEN", base_url=base_url) as first,
            Bot("123456:TEST-TOKEN", base_url=base_url) as second,
        ):
            waiting = asyncio.create_task(first.get_updates(timeout=5))
            await asyncio.sleep(0.2)
            assert await second.get_updates(timeout=0) == ()
            with pytest.raises(Conflict, match="terminated by other getUpdates request"):
                await waiting


async def test_cli_subprocess_prints_port_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.fake_telegram_server",
        "--port",
        "0",
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        assert line.startswith("LISTENING ")
        base = f"http://127.0.0.1:{int(line.split()[1])}"
        async with httpx.AsyncClient() as http:
            me = (await http.get(f"{base}/bot123456:TEST-TOKEN/getMe")).json()
        assert me["ok"] and me["result"]["username"] == "SkedjitTestBot"
        async with FakeTelegramClient(base) as client:
            group = await client.add_group("Friends")
            await client.user_sends(await client.add_user("Alice"), group, "hello")
            updates = await wait_until(client.pending_updates, timeout=2)
        assert updates[0]["message"]["text"] == "hello"
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_webhook_style_delivery_and_chat_specific_failures_and_delays_over_http() -> None:
    async with running_server() as (client, base_url):
        alice = await client.add_user("Alice")
        group = await client.add_group("Friends")
        await client.user_sends(alice, alice, "/start")
        await client.user_sends(alice, group, "hello")
        taken = await client.take_updates()
        assert [u["message"]["text"] for u in taken] == ["/start", "hello"]
        assert await client.take_updates() == [] and await client.pending_updates() == []

        await client.fail_next("sendMessage", 502, count=2, chat=alice)
        async with Bot("123456:TEST-TOKEN", base_url=base_url) as bot:
            await bot.send_message(group["id"], "to the group")  # not Alice's chat: unaffected
            for _ in range(2):
                with pytest.raises(NetworkError, match="Bad Gateway"):
                    await bot.send_message(alice["id"], "psst")
            await bot.send_message(alice["id"], "psst")
            statuses = [(c["params"]["chat_id"], c["status"]) for c in await client.calls("sendMessage")]
            assert statuses == [
                (group["id"], 200),
                (alice["id"], 502),
                (alice["id"], 502),
                (alice["id"], 200),
            ]

            await client.delay_next("sendMessage", 0.3, chat=group)
            loop = asyncio.get_running_loop()
            began = loop.time()
            await bot.send_message(alice["id"], "not delayed")
            assert loop.time() - began < 0.3
            slow = asyncio.create_task(bot.send_message(group["id"], "late"))
            await asyncio.sleep(0.1)
            assert [m["text"] for m in await client.messages_in(group)] == ["to the group"]  # not there yet
            await slow
            assert loop.time() - began >= 0.3
            assert [m["text"] for m in await client.messages_in(group)] == ["to the group", "late"]
