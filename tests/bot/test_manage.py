"""/editevent, /deleteevent, /newcode, /myevents and /timezone, with their buttons."""

from __future__ import annotations

import re

from tests.bot.conftest import BotHarness
from tests.bot.test_view import make_event

CODE_RE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def create_with_code(harness: BotHarness, user: dict, chat: dict) -> tuple[str, str]:
    await harness.send(user, user, "/start")
    link = await make_event(harness, user, chat)
    code = CODE_RE.search(harness.last(user)["text"]).group(0)
    return link, code


async def test_the_creator_edits_in_the_group_and_every_posted_card_follows(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    await harness.send(bob, bob, f"/start {link}")  # a second copy, in Bob's private chat
    await harness.send(alice, group, f"/editevent {link} when 2031-12-06 20:00")
    assert "Updated" in harness.last(group)["text"]
    # The group's card is edited in place, not posted again.
    assert len([m for m in harness.fake.messages_in(group) if "🔗" in m["text"]]) == 1
    for chat in (group, bob):
        cards = [m for m in harness.fake.messages_in(chat) if "🔗" in m["text"]]
        assert cards and all("Sat 6 Dec 2031, 20:00 CET" in c["text"] for c in cards), chat
    await harness.send(alice, group, f"/editevent {link} place -")
    assert "Mario's" not in harness.card_in(group)["text"]
    await harness.send(alice, group, f"/editevent {link} title   ")
    assert "FIELD" in harness.last(group)["text"]  # the usage, since no value was given


async def test_someone_else_in_a_group_is_sent_to_the_private_chat(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group)
    await harness.send(bob, group, f"/editevent {link} title Mine now")
    reply = harness.last(group)
    assert "Only the creator" in reply["text"]
    assert harness.button(reply, "private")["url"].endswith(f"start=m_{link}")
    await harness.send(bob, group, f"/deleteevent {link}")
    assert "Only the creator" in harness.last(group)["text"]
    await harness.send(bob, bob, f"/event {link}")
    assert "Mine now" not in harness.last(bob)["text"]


async def test_a_code_holder_unlocks_in_private_and_edits_with_buttons(
    harness: BotHarness, alice, bob, group
):
    link, code = await create_with_code(harness, alice, group)
    await harness.send(bob, bob, f"/start m_{link}")
    assert "send me its secret code" in harness.last(bob)["text"]
    await harness.send(bob, bob, "AAAA-BBBB-CCCC")
    assert "doesn't match" in harness.last(bob)["text"]
    await harness.send(bob, bob, code.lower())
    menu = harness.last(bob)
    assert "What would you like to do" in menu["text"]
    await harness.tap(bob, menu, harness.button(menu, "Edit")["callback_data"])
    picker = harness.last(bob)
    await harness.tap(bob, picker, harness.button(picker, "Title")["callback_data"])
    assert "new title" in harness.last(bob)["text"]
    await harness.send(bob, bob, "Pizza & pasta night")
    assert "Pizza & pasta night" in harness.last(bob)["text"]
    group_card = next(m for m in harness.fake.messages_in(group) if "🔗" in m["text"])
    assert "Pizza & pasta night" in group_card["text"]


async def test_a_code_can_be_given_inline_in_a_private_chat(harness: BotHarness, alice, bob, group):
    link, code = await create_with_code(harness, alice, group)
    await harness.send(bob, bob, f"/editevent {link} {code} details Bring a friend")
    assert "Bring a friend" in harness.last(bob)["text"]
    await harness.send(bob, bob, f"/editevent {link} AAAA-BBBB-CCCC title Nope")
    assert "doesn't match" in harness.last(bob)["text"]


async def test_a_bad_new_value_is_refused_and_the_user_can_try_again(harness: BotHarness, alice, group):
    link = await make_event(harness, alice, group)
    await harness.send(alice, alice, f"/editevent {link}")
    picker = harness.last(alice)
    await harness.tap(alice, picker, harness.button(picker, "When")["callback_data"])
    await harness.send(alice, alice, "last tuesday 10am")
    assert "When:" in harness.last(alice)["text"]
    await harness.send(alice, alice, f"/event {link}")
    assert "Fri 5 Dec 2031, 19:30" in harness.last(alice)["text"]


async def test_delete_asks_for_confirmation_and_marks_every_card_cancelled(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    await harness.send(bob, bob, f"/start {link}")
    await harness.send(alice, group, f"/deleteevent {link}")
    confirm = harness.last(group)
    assert "for everyone" in confirm["text"]
    await harness.tap(alice, confirm, harness.button(confirm, "No")["callback_data"])
    assert "stays as it is" in harness.last(group)["text"]
    await harness.send(alice, group, f"/deleteevent {link}")
    confirm = harness.last(group)
    await harness.tap(alice, confirm, harness.button(confirm, "Yes")["callback_data"])
    assert "is cancelled" in harness.last(group)["text"]
    for chat in (group, bob):
        card = next(m for m in harness.fake.messages_in(chat) if "🔗" in m["text"])
        assert card["text"].startswith("❌ Cancelled: Pizza night")
        # No answers or management any more; the calendar file now says CANCELLED.
        assert [b["text"] for b in harness.buttons(card)] == ["📅 Add to calendar"]
    await harness.send(alice, group, f"/editevent {link} title Back")
    assert "cancelled" in harness.last(group)["text"]


async def test_a_code_holder_deletes_from_the_private_chat(harness: BotHarness, alice, bob, group):
    link, code = await create_with_code(harness, alice, group)
    await harness.send(bob, bob, f"/deleteevent {link}")
    await harness.send(bob, bob, code)
    confirm = harness.last(bob)
    await harness.tap(bob, confirm, harness.button(confirm, "Yes")["callback_data"])
    assert "is cancelled" in harness.last(bob)["text"]


async def test_newcode_replaces_the_code_in_a_private_chat_only(harness: BotHarness, alice, bob, group):
    link, code = await create_with_code(harness, alice, group)
    await harness.send(alice, group, f"/newcode {link}")
    assert "private chat" in harness.last(group)["text"]
    assert not CODE_RE.search(harness.last(group)["text"])
    await harness.send(alice, alice, f"/newcode {link}")
    new_code = CODE_RE.search(harness.last(alice)["text"]).group(0)
    assert new_code != code
    await harness.send(bob, bob, f"/editevent {link} {code} title Old code")
    assert "doesn't match" in harness.last(bob)["text"]
    await harness.send(bob, bob, f"/newcode {link} {new_code}")
    newest = CODE_RE.search(harness.last(bob)["text"]).group(0)
    assert newest not in (code, new_code)


async def test_wrong_codes_are_slowed_down(harness: BotHarness, alice, bob, group):
    link, code = await create_with_code(harness, alice, group)
    for _ in range(6):
        await harness.send(bob, bob, f"/deleteevent {link} AAAA-BBBB-CCCC")
    await harness.send(bob, bob, f"/deleteevent {link} {code}")
    assert "Too many wrong codes" in harness.last(bob)["text"]


async def test_myevents_lists_upcoming_events_with_their_links(harness: BotHarness, alice, group):
    later = await make_event(harness, alice, group, "2031-12-24 18:00 | Christmas dinner")
    sooner = await make_event(harness, alice, group, "2031-12-05 19:30 | Pizza night")
    await harness.send(alice, alice, "/myevents")
    text = harness.last(alice)["text"]
    assert text.index("Pizza night") < text.index("Christmas dinner")
    assert f"start={sooner}" in text and f"start={later}" in text


async def test_only_a_groups_admins_change_its_timezone(harness: BotHarness, alice, bob, group):
    harness.fake.set_member(group, alice, "administrator")
    await harness.send(bob, group, "/timezone Tokyo")
    assert "Only the group's admins" in harness.last(group)["text"]
    await harness.send(bob, group, "/timezone")
    assert "Europe/Paris" in harness.last(group)["text"]
    await harness.send(alice, group, "/timezone Tokyo")
    assert "Asia/Tokyo" in harness.last(group)["text"]
    await harness.send(bob, bob, "/timezone Lima")  # anyone sets their own, in a private chat
    assert "America/Lima" in harness.last(bob)["text"]


async def test_timezone_shows_and_sets_the_chats_zone(harness: BotHarness, alice, group):
    harness.fake.set_member(group, alice, "creator")
    await harness.send(alice, group, "/timezone")
    assert "Europe/Paris" in harness.last(group)["text"]
    await harness.send(alice, group, "/timezone new york")
    assert "America/New_York" in harness.last(group)["text"]
    await harness.send(alice, group, "/timezone Atlantis")
    assert "Timezone:" in harness.last(group)["text"]
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | NY pizza")
    assert "19:30 EST (America/New_York)" in harness.last(group)["text"] or any(
        "19:30 EST (America/New_York)" in t for t in harness.said(group)
    )


async def test_usage_is_shown_for_missing_or_bad_links(harness: BotHarness, alice, group):
    await harness.send(alice, group, "/editevent")
    assert "FIELD" in harness.last(group)["text"]
    await harness.send(alice, group, "/deleteevent nope")
    assert "/deleteevent LINK" in harness.last(group)["text"]
    await harness.send(alice, alice, "/newcode")
    assert "/newcode LINK" in harness.last(alice)["text"]
    await harness.send(alice, alice, "/editevent Zz9Zz9Zz9Z title X")
    assert "no such event" in harness.last(alice)["text"].lower()
