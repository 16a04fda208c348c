"""Going / Maybe / Can't go, capacity and waitlist, and cards that keep up."""

from __future__ import annotations

from tests.bot.conftest import BotHarness
from tests.bot.test_view import make_event


def rsvp_data(harness: BotHarness, card: dict, label: str) -> str:
    return harness.button(card, label)["callback_data"]


async def test_a_tap_records_the_answer_and_every_copy_of_the_card_shows_it(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    await harness.send(bob, bob, f"/start {link}")
    card = harness.card_in(group)
    await harness.tap(bob, card, rsvp_data(harness, card, "Going"))
    assert harness.fake.callback_answers[-1]["text"] == "You're going ✅"
    await harness.tap(alice, card, rsvp_data(harness, card, "Maybe"))
    for chat in (group, bob):
        text = harness.card_in(chat)["text"]
        assert "✅ Going (1): Bob" in text, chat
        assert "🤔 Maybe (1): Alice" in text, chat
    # A second tap changes the answer; still one answer per person.
    await harness.tap(bob, card, rsvp_data(harness, card, "Can't go"))
    text = harness.card_in(group)["text"]
    assert "Going" not in text and "❌ Can't go (1)" in text
    assert len(harness.fake.callback_answers) == 3  # every tap answered


async def test_a_name_with_a_right_to_left_override_cannot_turn_the_card_around(
    harness: BotHarness, alice, group
):
    await make_event(harness, alice, group)
    card = harness.card_in(group)
    eve = harness.fake.add_user("Eve\u202eevil")
    await harness.tap(eve, card, rsvp_data(harness, card, "Going"))
    text = harness.card_in(group)["text"]
    assert "✅ Going (1): Eveevil" in text
    assert "\u202e" not in text


async def test_big_events_collapse_names_into_counts_and_stay_within_limits(
    harness: BotHarness, alice, group
):
    link = await make_event(harness, alice, group)
    card = harness.card_in(group)
    going = rsvp_data(harness, card, "Going")
    for i in range(40):
        harness.fake.user_taps(harness.fake.add_user(f"Guest{i:03d}"), card, going)
    await harness.pump()
    text = harness.card_in(group)["text"]
    assert "✅ Going (40)" in text
    assert "Guest001" not in text
    # The full list is one tap away, in the private chat.
    await harness.send(alice, alice, f"/start {link}")
    private = harness.card_in(alice)["text"]
    assert "Guest000" in private and "Guest039" in private


async def test_past_capacity_people_wait_in_order_and_the_first_is_promoted_and_told(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    await harness.send(alice, group, f"/editevent {link} seats 1")
    card = harness.card_in(group)
    assert "✅ Going (0/1)" in card["text"]
    carol = harness.fake.add_user("Carol")
    await harness.send(carol, carol, "/start")  # Carol has opened the bot, so she can be told
    going = rsvp_data(harness, card, "Going")
    await harness.tap(bob, card, going)
    await harness.tap(carol, card, going)
    assert "waitlist, number 1" in harness.fake.callback_answers[-1]["text"]
    assert "⏳ Waitlist (1): Carol" in harness.card_in(group)["text"]
    await harness.tap(bob, card, rsvp_data(harness, card, "Can't go"))
    text = harness.card_in(group)["text"]
    assert "✅ Going (1/1): Carol" in text and "Waitlist" not in text
    assert "A seat freed up" in harness.last(carol)["text"]


async def test_raising_the_capacity_promotes_people_waiting(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group)
    await harness.send(alice, group, f"/editevent {link} capacity 1")
    card = harness.card_in(group)
    await harness.tap(alice, card, rsvp_data(harness, card, "Going"))
    await harness.tap(bob, card, rsvp_data(harness, card, "Going"))
    await harness.send(alice, group, f"/editevent {link} capacity 0")
    assert "✅ Going (2): Alice, Bob" in harness.card_in(group)["text"]
    await harness.send(alice, group, f"/editevent {link} capacity lots")
    assert "Capacity:" in harness.last(group)["text"]


async def test_answers_to_a_cancelled_event_are_refused_and_change_nothing(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    card = harness.card_in(group)
    going = rsvp_data(harness, card, "Going")
    await harness.send(alice, group, f"/deleteevent {link}")
    confirm = harness.last(group)
    await harness.tap(alice, confirm, harness.button(confirm, "Yes")["callback_data"])
    harness.fake.user_taps(bob, card, going, forged=True)  # a stale card still showing the button
    await harness.pump()
    assert "cancelled" in harness.fake.callback_answers[-1]["text"]
    assert "Bob" not in harness.card_in(group)["text"]
    harness.fake.user_taps(bob, card, "rv:x:" + link, forged=True)
    await harness.pump()
    assert harness.fake.callback_answers[-1]["text"] == "This button is no longer valid."
