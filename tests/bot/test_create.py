"""/newevent in groups and private chats, and how the secret code reaches its creator."""

from __future__ import annotations

import re

from tests.bot.conftest import BotHarness

CODE_RE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def test_newevent_in_a_group_posts_a_card_and_dms_the_code(harness: BotHarness, alice, group):
    await harness.send(alice, alice, "/start")  # Alice has opened the bot before
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Pizza <night> | Mario's & co")
    [card] = harness.fake.messages_in(group)
    assert "Pizza <night>" in card["text"]
    assert "<b>Pizza &lt;night&gt;</b>" in card["html"]
    assert "Fri 5 Dec 2031, 19:30 CET (Europe/Paris)" in card["text"]
    assert "Mario's & co" in card["text"]
    link = harness.link_of(card)
    assert f"https://t.me/SkedjitTestBot?start={link}" in card["text"]
    assert not CODE_RE.search(card["text"])
    dm = harness.last(alice)
    assert "Secret code for Pizza <night>" in dm["text"]
    assert CODE_RE.search(dm["text"])


async def test_newevent_when_the_creator_never_opened_the_bot_offers_a_one_time_claim(
    harness: BotHarness, alice, group
):
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Pizza night")
    card, note = harness.fake.messages_in(group)
    assert "Pizza night" in card["text"]
    assert "couldn't message you privately" in note["text"]
    assert not CODE_RE.search(note["text"])
    claim_url = harness.button(note, "secret code")["url"]
    payload = claim_url.split("start=", 1)[1]
    assert payload.startswith("c_") and len(payload) <= 64
    # Bob can't collect it.
    bob = harness.fake.add_user("Bob")
    await harness.send(bob, bob, f"/start {payload}")
    assert "creator only" in harness.last(bob)["text"]
    assert not CODE_RE.search(harness.last(bob)["text"])
    # Alice can, once.
    await harness.send(alice, alice, f"/start {payload}")
    assert CODE_RE.search(harness.last(alice)["text"])
    await harness.send(alice, alice, f"/start {payload}")
    assert "expired or was already used" in harness.last(alice)["text"]


async def test_a_claimed_code_works_and_the_one_never_delivered_does_not_matter(
    harness: BotHarness, alice, group
):
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Pizza night")
    _, note = harness.fake.messages_in(group)
    payload = harness.button(note, "secret code")["url"].split("start=", 1)[1]
    await harness.send(alice, alice, f"/start {payload}")
    code = CODE_RE.search(harness.last(alice)["text"]).group(0)
    bob = harness.fake.add_user("Bob")
    link = harness.link_of(harness.fake.messages_in(group)[0])
    await harness.send(bob, bob, f"/editevent {link} {code} title Bob's pizza")
    assert any("Bob's pizza" in text for text in harness.said(bob))


async def test_newevent_in_a_private_chat_replies_with_the_card_and_the_code(harness: BotHarness, alice):
    await harness.send(
        alice, alice, "/newevent tomorrow 19:30 | Board games | My place | Bring snacks\nand drinks"
    )
    card, code = harness.fake.messages_in(alice)
    assert "Board games" in card["text"]
    assert "My place" in card["text"]
    assert "Bring snacks\nand drinks" in card["text"]
    assert "in " in card["text"]  # how far away it is
    assert CODE_RE.search(code["text"])


async def test_newevent_errors_name_the_wrong_part_and_show_an_example(harness: BotHarness, alice, group):
    await harness.send(alice, group, "/newevent someday | Pizza")
    assert "When:" in harness.last(group)["text"]
    assert "/newevent Fri 19:30 | Pizza night" in harness.last(group)["text"]
    await harness.send(alice, group, "/newevent tomorrow 19:30")
    assert "Title:" in harness.last(group)["text"]
    await harness.send(alice, group, "/newevent 2020-01-01 10:00 | Old")
    assert "past" in harness.last(group)["text"]
    await harness.send(alice, group, "/newevent tomorrow 19:30 | " + "x" * 300)
    assert "limit is 200" in harness.last(group)["text"]
    await harness.send(alice, group, "/myevents")
    await harness.send(alice, alice, "/myevents")
    assert "no upcoming events" in harness.last(alice)["text"]


async def test_newevent_without_arguments_in_a_group_shows_the_syntax(harness: BotHarness, alice, group):
    await harness.send(alice, group, "/newevent")
    assert "when | title | place" in harness.last(group)["text"]


async def test_the_guided_newevent_flow_previews_and_creates(harness: BotHarness, alice):
    await harness.send(alice, alice, "/newevent")
    assert "What's it called" in harness.last(alice)["text"]
    await harness.send(alice, alice, "   ")
    await harness.send(alice, alice, "Picnic")
    assert "When is Picnic" in harness.last(alice)["text"]
    await harness.send(alice, alice, "whenever")
    assert "couldn't understand" in harness.last(alice)["text"]
    await harness.send(alice, alice, "2031-06-01 12:00")
    repeat = harness.last(alice)
    assert "Does Picnic repeat?" in repeat["text"]
    await harness.tap(alice, repeat, harness.button(repeat, "No")["callback_data"])
    assert "Where" in harness.last(alice)["text"]
    await harness.send(alice, alice, "/skip")
    preview = harness.last(alice)
    assert "Picnic" in preview["text"] and "Sun 1 Jun 2031, 12:00 CEST" in preview["text"]
    assert "🔁" not in preview["text"]
    # A quick double tap: both taps arrive before the first one is handled.
    create = harness.button(preview, "Create")["callback_data"]
    harness.fake.user_taps(alice, preview, create)
    harness.fake.user_taps(alice, preview, create)
    await harness.pump()
    assert any(CODE_RE.search(t) for t in harness.said(alice))
    assert "expired" in harness.fake.callback_answers[-1].get("text", "")
    await harness.send(alice, alice, "/myevents")
    assert harness.last(alice)["text"].count("Picnic") == 1


async def test_the_guided_flow_can_be_cancelled(harness: BotHarness, alice):
    await harness.send(alice, alice, "/newevent")
    await harness.send(alice, alice, "/cancel")
    assert "stopped" in harness.last(alice)["text"]
    await harness.send(alice, alice, "Picnic")
    assert "/help" in harness.last(alice)["text"]
    await harness.send(alice, alice, "/cancel")
    assert "nothing to cancel" in harness.last(alice)["text"]


async def test_an_anonymous_admin_is_asked_to_create_from_a_private_chat(harness: BotHarness, group):
    harness.fake.anonymous_admin_sends(group, "/newevent tomorrow 19:30 | Secret meeting")
    await harness.pump()
    reply = harness.last(group)
    assert "anonymous admin" in reply["text"]
    assert "Secret meeting" not in reply["text"]
    assert harness.button(reply, "private")["url"].endswith("?start=new")


async def test_a_repeated_update_creates_no_second_event_and_no_second_card(
    harness: BotHarness, alice, group
):
    from telegram import Update

    await harness.send(alice, alice, "/start")
    harness.fake.user_sends(alice, group, "/newevent 2031-12-05 19:30 | Once")
    [raw] = harness.fake.take_updates()
    for _ in range(2):  # as a webhook retry, or polling after a crash, would deliver it
        await harness.app.process_update(Update.de_json(raw, harness.app.bot))
    assert [t for t in harness.said(group) if "Once" in t] == [harness.said(group)[0]]
    assert len(harness.said(group)) == 1
    assert sum(bool(CODE_RE.search(t)) for t in harness.said(alice)) == 1
    await harness.send(alice, alice, "/myevents")
    assert harness.last(alice)["text"].count("Once") == 1


async def test_a_secret_code_survives_telegram_hiccups_without_being_sent_twice(
    harness: BotHarness, alice, group, monkeypatch
):
    import bot.sending

    monkeypatch.setattr(bot.sending, "RETRY_BACKOFF", 0.01)
    await harness.send(alice, alice, "/start")
    harness.fake.fail_next("sendMessage", 502, "Bad Gateway", count=3, chat_id=alice["id"])
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Flaky")
    failed = [
        c for c in harness.fake.calls("sendMessage") if c.params["chat_id"] == alice["id"] and c.status == 502
    ]
    assert len(failed) == 3
    assert sum(bool(CODE_RE.search(t)) for t in harness.said(alice)) == 1
    assert not any("couldn't message you" in t for t in harness.said(group))
