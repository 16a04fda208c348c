"""/start, /help, /event and deep links."""

from __future__ import annotations

import pytest

from tests.bot.conftest import BotHarness


async def make_event(
    harness: BotHarness, user: dict, chat: dict, line: str = "2031-12-05 19:30 | Pizza night | Mario's"
) -> str:
    await harness.send(user, chat, f"/newevent {line}")
    card = next(m for m in harness.fake.messages_in(chat) if "🔗" in m["text"])
    return harness.link_of(card)


async def test_start_and_help_explain_how_to_create_share_edit_and_delete(harness: BotHarness, alice, group):
    await harness.send(alice, alice, "/start")
    text = harness.last(alice)["text"]
    for word in ("/newevent", "Share", "/editevent", "/deleteevent"):
        assert word in text
    await harness.send(alice, group, "/help")
    reply = harness.last(group)
    assert "Add to Group" in reply["text"]
    assert "startgroup" in harness.button(reply, "Add")["url"]


async def test_a_deep_link_opens_the_event_card_in_a_private_chat(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group)
    await harness.send(bob, bob, f"/start {link}")
    card = harness.last(bob)
    assert "Pizza night" in card["text"] and "Mario's" in card["text"]
    assert f"start={link}" in card["text"]


async def test_the_viewers_own_time_is_shown_when_their_zone_differs(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group)
    await harness.send(bob, bob, "/timezone Tokyo")
    await harness.send(bob, bob, f"/start {link}")
    text = harness.last(bob)["text"]
    assert "19:30 CET" in text
    assert "Sat 6 Dec 2031, 03:30 JST (Asia/Tokyo) your time" in text


@pytest.mark.parametrize(
    "payload", ["nosuchlink", "Zz9Zz9Zz9Z", "m_Zz9Zz9Zz9Z", "c_made-up", "%%%", "a" * 64]
)
async def test_unknown_or_malformed_payloads_get_a_friendly_no_such_event(harness: BotHarness, bob, payload):
    await harness.send(bob, bob, f"/start {payload}")
    text = harness.last(bob)["text"].lower()
    assert "no such event" in text or "expired" in text


async def test_event_accepts_a_link_id_or_a_pasted_deep_link(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group)
    await harness.send(bob, group, f"/event {link}")
    assert "Pizza night" in harness.last(group)["text"]
    await harness.send(bob, bob, f"/event https://t.me/SkedjitTestBot?start={link}")
    assert "Pizza night" in harness.last(bob)["text"]
    await harness.send(bob, bob, "/event")
    assert "Which event" in harness.last(bob)["text"]
    await harness.send(bob, bob, "/event <script>")
    assert "no such event" in harness.last(bob)["text"].lower()


async def test_a_long_description_is_cut_but_the_link_always_shows(harness: BotHarness, alice):
    await harness.send(alice, alice, "/newevent 2031-12-05 19:30 | Long | Here | " + "<&>" * 660)
    card = harness.fake.messages_in(alice)[0]
    assert len(card["text"]) <= 4096
    assert card["text"].rstrip().endswith(harness.link_of(card))
    assert "…" in card["text"]


async def test_the_command_menu_is_registered_for_private_chats_and_groups(harness: BotHarness):
    private = harness.fake.commands({"type": "all_private_chats"})
    groups = harness.fake.commands({"type": "all_group_chats"})
    assert {"newevent", "myevents", "editevent"} <= {c["command"] for c in private}
    assert "newevent" in {c["command"] for c in groups}
    assert "myevents" not in {c["command"] for c in groups}
