"""What the bot ignores or refuses before any command runs, and how it fails."""

from __future__ import annotations

import logging

from sqlalchemy import text as sql
from telegram.ext import CommandHandler

from bot import texts
from core import access
from tests.bot.conftest import BotHarness
from tests.bot.test_view import make_event


def as_stored(harness: BotHarness, chat: dict, sent: dict) -> dict:
    """A message someone sent, as the chat now holds it (deleted or not)."""
    everything = harness.fake.messages_in(chat, include_deleted=True, include_user_messages=True)
    return next(m for m in everything if m["message_id"] == sent["message_id"])


async def wrong_code_counts(harness: BotHarness, link: str, user: dict) -> list[int]:
    """The wrong-code attempts recorded against the event, for ``user`` and for everyone."""
    async with harness.app.bot_data.uow() as uow:
        event = await uow.events.get_by_link(link)
        assert event is not None
        rows = await uow.session.execute(
            sql("SELECT user_id, failures FROM code_attempts WHERE event_id = :e"), {"e": event.id}
        )
        counts = dict(rows.all())
        return [counts.get(key, 0) for key in (user["id"], access.ANY_USER)]


async def test_commands_addressed_to_another_bot_are_ignored(harness: BotHarness, alice, group):
    await harness.send(alice, group, "/newevent@OtherBot tomorrow 19:30 | Not ours")
    assert harness.said(group) == []
    await harness.send(alice, group, "/newevent@SkedjitTestBot 2031-12-05 19:30 | Ours")
    assert "Ours" in harness.said(group)[0]


async def test_edited_messages_and_channel_posts_are_ignored(harness: BotHarness, alice, group):
    message = await harness.send(alice, group, "/help")
    before = len(harness.said(group))
    harness.fake.user_edits(message, "/newevent 2031-12-05 19:30 | From an edit")
    channel = harness.fake.add_channel("News")
    harness.fake.channel_post(channel, "/newevent 2031-12-05 19:30 | From a channel")
    await harness.pump()
    assert len(harness.said(group)) == before
    assert harness.said(channel) == []


async def test_a_code_posted_in_a_group_is_never_used_and_the_message_is_deleted(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    message = await harness.send(bob, group, f"/editevent {link} 7KQF-9XMP-3WTR title Hijacked")
    warning = harness.last(group)["text"]
    assert "looks like a secret code" in warning and "deleted the message" in warning
    assert "/newcode" in warning
    deleted = [
        m
        for m in harness.fake.messages_in(group, include_deleted=True, include_user_messages=True)
        if m["message_id"] == message["message_id"]
    ]
    assert deleted and deleted[0]["deleted"]
    await harness.send(bob, bob, f"/event {link}")
    assert "Hijacked" not in harness.last(bob)["text"]


async def test_a_code_in_a_group_is_refused_even_when_the_bot_cannot_delete(
    harness: BotHarness, alice, group
):
    harness.fake.can_delete_in(group, False)
    await harness.send(alice, group, "my code is 7kqf 9xmp 3wtr")
    warning = harness.last(group)["text"]
    assert "looks like a secret code" in warning and "deleted" not in warning


async def test_a_code_in_any_form_a_private_chat_accepts_is_deleted_in_a_group(
    harness: BotHarness, alice, group
):
    for typed in [
        "7KQF-9XMP 3WTR",
        "7kqf\u00a09xmp\u00a03wtr",
        "7KQF\u202f9XMP\u202f3WTR",
        "7KQF  9XMP  3WTR",
        "7-K-Q-F-9-X-M-P-3-W-T-R",
        "7kqf-9xmp-3wtr",
        "KOQF\u20139XMP\u20133WIR",
    ]:
        sent = await harness.send(alice, group, f"here it is: {typed}")
        assert as_stored(harness, group, sent).get("deleted"), typed
        assert "looks like a secret code" in harness.last(group)["text"], typed


async def test_phone_numbers_ibans_and_times_pass_a_group_untouched(harness: BotHarness, alice, group):
    sent = [
        await harness.send(alice, group, text)
        for text in [
            "Call me: 0176 1234 5678",
            "Call 0176 1234 5678 after 6",
            "IBAN DE89 3704 0044 0532 0130 00",
            "GB29 NWBK 6016 1331 9268 19, thanks!",
            "FedEx tracking 7489 1234 5678",
            "Open from 10am till 11pm",
        ]
    ]
    assert not any(as_stored(harness, group, message).get("deleted") for message in sent)
    assert harness.said(group) == []


async def test_an_event_whose_place_holds_a_phone_number_is_created(harness: BotHarness, alice, group):
    await harness.send(
        alice, group, "/newevent 2031-12-05 19:30 | Pizza night | Mario's, call 0176 1234 5678"
    )
    assert "Mario's, call 0176 1234 5678" in harness.card_in(group)["text"]


async def test_a_code_sent_with_a_command_in_a_group_never_touches_the_attempt_counters(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    for text in [
        f"/editevent {link} abc 7KQF9XMP3WTRzz def title Hijacked",
        f"/editevent {link} 7kqf\u00a09xmp 3wtr title Hijacked",
        f"/reminders {link} 7-K-Q-F-9-X-M-P-3-W-T-R 5m",
        f"/deleteevent {link} 7KQF-9XMP 3WTR",
    ]:
        await harness.send(bob, group, text)
    assert await wrong_code_counts(harness, link, bob) == [0, 0]
    await harness.send(bob, bob, f"/event {link}")
    assert "Hijacked" not in harness.last(bob)["text"]


async def test_an_unexpected_error_gets_an_apology_and_no_traceback(harness: BotHarness, alice, caplog):
    async def explode(update, context):
        raise RuntimeError("database password is hunter2")

    harness.app.add_handler(CommandHandler("explode", explode))
    with caplog.at_level(logging.ERROR):
        await harness.send(alice, alice, "/explode")
    reply = harness.last(alice)["text"]
    assert "Sorry, something went wrong" in reply
    assert "hunter2" not in reply and "Traceback" not in reply
    assert any("failed" in r.getMessage() and r.exc_info for r in caplog.records)
    await harness.send(alice, alice, "/help")  # and the bot keeps working
    assert "/newevent" in harness.last(alice)["text"]


async def test_forged_callback_data_gets_a_short_answer_and_changes_nothing(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    await harness.send(alice, group, f"/deleteevent {link}")
    confirm = harness.last(group)
    # Bob taps the creator's confirmation button: refused.
    await harness.tap(bob, confirm, harness.button(confirm, "Yes")["callback_data"])
    assert "Only the event's creator" in harness.fake.callback_answers[-1]["text"]
    await harness.send(bob, bob, f"/event {link}")
    assert "Cancelled" not in harness.last(bob)["text"]


async def test_callback_data_no_button_carries_is_answered_and_ignored(harness: BotHarness, alice, group):
    link = await make_event(harness, alice, group)
    await harness.send(alice, group, f"/deleteevent {link}")
    confirm = harness.last(group)
    for data in [
        "dy:../../etc",
        "zz:" + link,
        "dy",
        "ef:password:" + link,
        "x" * 64,
        "dy:" + link + ":extra",
    ]:
        harness.fake.user_taps(alice, confirm, data, forged=True)
        await harness.pump()
        assert harness.fake.callback_answers[-1]["text"] == "This button is no longer valid."
    # A well-formed button the message does not carry (issue 10.3: buttons act only on their own message).
    harness.fake.user_taps(alice, confirm, "dy:Zz9Zz9Zz9Z", forged=True)
    await harness.pump()
    assert harness.fake.callback_answers[-1]["text"] == "This button is no longer valid."
    await harness.send(alice, alice, f"/event {link}")
    assert "Cancelled" not in harness.last(alice)["text"]


async def test_with_the_database_down_the_bot_says_so_and_recovers(harness: BotHarness, alice, group):
    from core.storage.engine import make_engine, make_session_factory

    data = harness.app.bot_data
    working = data.session_factory
    broken = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # nothing listens there
    data.session_factory = make_session_factory(broken)
    try:
        await harness.send(alice, group, "/newevent 2031-12-05 19:30 | During the outage")
        assert "can't reach my database" in harness.last(group)["text"]
        await harness.send(alice, alice, "/myevents")
        assert "can't reach my database" in harness.last(alice)["text"]
    finally:
        await broken.dispose()
        data.session_factory = working
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | After the outage")
    assert "After the outage" in harness.card_in(group)["text"]
    await harness.send(alice, alice, "/myevents")
    assert "During the outage" not in harness.last(alice)["text"]


async def test_a_flood_of_commands_gets_one_polite_notice(harness: BotHarness, alice, bob, group):
    for _ in range(20):
        harness.fake.user_sends(bob, group, "/help")
    await harness.pump()
    said = harness.said(group)
    assert said.count(texts.FLOOD) == 1
    assert len(said) == 9  # eight answered, then one notice, then silence
    await harness.send(alice, group, "/help")  # others are not affected
    assert "/newevent" in harness.last(group)["text"]


async def test_each_update_is_logged_once_without_arguments_codes_or_tokens(
    harness: BotHarness, alice, caplog
):
    with caplog.at_level(logging.INFO, logger="skedjit.updates"):
        await harness.send(alice, alice, "/newevent 2031-12-05 19:30 | Logged")
        await harness.send(alice, alice, "/start c_SECRETCLAIMTOKEN123")
        await harness.send(alice, alice, "/editevent Zz9Zz9Zz9Z 7KQF-9XMP-3WTR title x")
    lines = [r.getMessage() for r in caplog.records if r.name == "skedjit.updates"]
    assert len(lines) == 3
    assert "command=/newevent outcome=ok" in lines[0]
    assert "command=/start outcome=ClaimNotFound" in lines[1]
    assert "command=/editevent outcome=" in lines[2]
    assert all("update=" in line and "duration_ms=" in line for line in lines)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    code = harness.said(alice)[1]
    for secret in ("SECRETCLAIMTOKEN123", "7KQF-9XMP-3WTR", harness.fake.token, code):
        assert secret not in everything
