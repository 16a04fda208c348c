"""Who may do what, tried as an attacker or a careless user would (the audit of issue 10).

Each test here failed on 570dc8c, the code before the fixes.
"""

from __future__ import annotations

import re

from tests.bot.conftest import BotHarness
from tests.bot.test_view import make_event

CODE_RE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def code_sent_to(harness: BotHarness, chat: dict) -> str:
    for message in reversed(harness.fake.messages_in(chat)):
        if "secret code" in message["text"].lower() and (found := CODE_RE.search(message["text"])):
            return found.group(0)
    raise AssertionError("no code was sent there")


async def test_a_new_code_ends_what_an_old_code_unlocked(harness: BotHarness, alice, bob, group):
    await harness.send(alice, alice, "/start")  # so the code can reach her privately
    link = await make_event(harness, alice, group)
    leaked = code_sent_to(harness, alice)
    await harness.send(bob, bob, f"/editevent {link} {leaked} title Bob's party")
    assert "Bob's party" in harness.card_in(group)["text"]
    await harness.send(alice, alice, f"/newcode {link}")
    fresh = code_sent_to(harness, alice)
    assert fresh != leaked
    # Bob's unlock ended with the old code: he is asked for the code instead of changing anything.
    await harness.send(bob, bob, f"/editevent {link} title Bob again")
    assert "send me its secret code" in harness.last(bob)["text"]
    await harness.send(bob, bob, leaked)
    assert "doesn't match" in harness.last(bob)["text"]
    # Nor can he replace the code to lock Alice out.
    await harness.send(bob, bob, "/cancel")
    await harness.send(bob, bob, f"/newcode {link}")
    assert "send me the current one" in harness.last(bob)["text"]
    await harness.send(bob, bob, leaked)
    assert "doesn't match" in harness.last(bob)["text"]
    assert "Bob's party" in harness.card_in(group)["text"]
    await harness.send(alice, alice, "/cancel")
    carol = harness.fake.add_user("Carol", "carol")
    await harness.send(carol, carol, f"/editevent {link} {fresh} title Carol's turn")
    assert "Carol's turn" in harness.card_in(group)["text"]


async def test_a_code_holder_must_type_the_code_again_to_replace_it(harness: BotHarness, alice, bob, group):
    await harness.send(alice, alice, "/start")
    link = await make_event(harness, alice, group)
    code = code_sent_to(harness, alice)
    await harness.send(bob, bob, f"/editevent {link} {code}")  # unlocks, and offers the fields
    await harness.send(bob, bob, f"/newcode {link}")
    assert "send me the current one" in harness.last(bob)["text"]
    await harness.send(bob, bob, code)
    assert "New secret code" in harness.last(bob)["text"]
    assert code_sent_to(harness, bob) != code


async def test_posting_as_a_channel_cannot_create_and_cannot_manage(harness: BotHarness, alice, group):
    channel = harness.fake.add_channel("Alice's channel")
    harness.fake.member_sends_as_channel(channel, group, "/newevent 2031-12-05 19:30 | Channel party")
    await harness.pump()
    assert "posting as a channel" in harness.last(group)["text"]
    assert not [m for m in harness.fake.messages_in(group) if "Channel party" in m["text"]]
    link = await make_event(harness, alice, group)
    other = harness.fake.add_channel("Someone's channel")
    harness.fake.member_sends_as_channel(other, group, f"/editevent {link} title Taken over")
    await harness.pump()
    assert "Only the creator can change this event here" in harness.last(group)["text"]
    harness.fake.linked_channel_forwards(other, group, f"/editevent {link} title Forwarded")
    await harness.pump()
    harness.fake.member_sends_as_channel(other, group, "/timezone Asia/Tokyo")
    await harness.pump()
    assert "Only the group's admins" in harness.last(group)["text"]
    assert "Pizza night" in harness.card_in(group)["text"]


async def test_a_forged_keep_it_button_cannot_rewrite_a_card(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group)
    card = harness.card_in(group)
    harness.fake.user_taps(bob, card, f"dn:{link}", forged=True)
    await harness.pump()
    assert harness.fake.callback_answers[-1]["text"] == "This button is no longer valid."
    after = next(m for m in harness.fake.messages_in(group) if m["message_id"] == card["message_id"])
    assert after["text"] == card["text"] and harness.buttons(after) == harness.buttons(card)


async def test_only_someone_who_may_manage_can_press_keep_it(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group)
    await harness.send(alice, group, f"/deleteevent {link}")
    confirm = harness.last(group)
    await harness.tap(bob, confirm, harness.button(confirm, "No, keep")["callback_data"])
    assert "Only the event's creator" in harness.fake.callback_answers[-1]["text"]
    assert harness.last(group)["text"] == confirm["text"]
    await harness.tap(alice, confirm, harness.button(confirm, "No, keep")["callback_data"])
    assert "stays as it is" in harness.last(group)["text"]


async def test_the_guided_flow_creates_exactly_the_time_it_previewed(harness: BotHarness, alice):
    await harness.send(alice, alice, "/newevent")
    await harness.send(alice, alice, "Picnic")
    await harness.send(alice, alice, "2031-06-01 12:00")
    repeat = harness.last(alice)
    await harness.tap(alice, repeat, harness.button(repeat, "No")["callback_data"])
    await harness.send(alice, alice, "/skip")
    preview = harness.last(alice)
    assert "Sun 1 Jun 2031, 12:00 CEST (Europe/Paris)" in preview["text"]
    # Whatever happens between preview and confirmation (here: a new zone), the preview is what's made.
    await harness.send(alice, alice, "/timezone Asia/Tokyo")
    await harness.tap(alice, preview, harness.button(preview, "Create")["callback_data"])
    assert "Sun 1 Jun 2031, 12:00 CEST (Europe/Paris)" in harness.card_in(alice)["text"]


async def test_unicode_digits_for_seats_get_a_clear_reply(harness: BotHarness, alice, group):
    link = await make_event(harness, alice, group)
    for typed in ("²", "½", "1²"):
        await harness.send(alice, group, f"/editevent {link} seats {typed}")
        assert "send a number of seats" in harness.last(group)["text"]
    assert "Going (0/" not in harness.card_in(group)["text"]
    # Digits as a Persian or Arabic keyboard types them are digits, though.
    await harness.send(alice, group, f"/editevent {link} seats ٣")
    assert "Going (0/3)" in harness.card_in(group)["text"]


async def test_many_long_titles_still_list_in_one_message(harness: BotHarness, alice):
    harness.app.bot_data.flood_guard.limit = 100  # twenty /newevent in a row are this test's own doing
    for day in range(1, 21):
        await harness.send(alice, alice, f"/newevent 2031-12-{day:02d} 19:30 | {'Long title ' * 18}{day}")
    await harness.send(alice, alice, "/myevents")
    listing = harness.last(alice)["text"]
    assert listing.startswith("Your upcoming events") and len(listing) <= 4096
    assert "Sorry" not in listing
