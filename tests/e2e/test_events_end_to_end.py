"""The bot as a real process: friends create, share, edit and cancel events in groups and private chats.

Every test makes its own users and groups, so they share only the bot process and its database.
"""

from __future__ import annotations

import pytest

from tests.e2e.world import CODE_RE, World, button, buttons, code_in, link_of

pytestmark = pytest.mark.e2e

PIZZA_NIGHT = "/newevent 2031-12-05 19:30 | Pizza night | Mario's"
PIZZA_TIME = "Fri 5 Dec 2031, 19:30 CET (Europe/Paris)"


def has_manage_button(card: dict) -> bool:
    return any("Manage" in b["text"] for b in buttons(card))


async def create_pizza_night(world: World, creator: dict, group: dict) -> tuple[dict, str]:
    """The creator posts the usual event in the group; returns its card there and its link id."""
    card = await world.says(creator, group, PIZZA_NIGHT, expect="Pizza night")
    return card, link_of(card)


async def test_an_event_created_in_a_group_is_posted_there_and_its_code_reaches_the_creator_privately(
    world: World,
):
    alice = await world.user("Alice", opened_the_bot=True)
    group = await world.group("Friends", alice)

    sent = await world.send(alice, group, PIZZA_NIGHT)

    card = await world.reply_in(group, "Pizza night", after=sent)
    link = link_of(card)
    assert card["text"].startswith("📅 Pizza night")
    assert PIZZA_TIME in card["text"] and "Mario's" in card["text"]
    assert f"https://t.me/SkedjitTestBot?start={link}" in card["text"]
    assert button(card, "Manage")["url"] == f"https://t.me/SkedjitTestBot?start=m_{link}"
    dm = await world.reply_in(alice, "Secret code for Pizza night")
    code = code_in(dm)
    await world.settled(sent)
    in_group = await world.texts(group)
    assert not any(code in text or CODE_RE.search(text) for text in in_group)
    assert not any("couldn't message you" in text for text in in_group)
    world.assert_log_keeps_secrets()


async def test_a_friend_opens_the_event_through_its_deep_link(world: World):
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob")
    group = await world.group("Friends", alice, bob)
    _, link = await create_pizza_night(world, alice, group)

    card = await world.says(bob, bob, f"/start {link}", expect="Pizza night")

    assert PIZZA_TIME in card["text"] and "Mario's" in card["text"]
    assert f"?start={link}" in card["text"]
    assert not any(CODE_RE.search(text) for text in await world.texts(bob))
    world.assert_log_keeps_secrets()


async def test_a_creator_who_never_opened_the_bot_collects_the_code_once_through_the_claim_button(
    world: World,
):
    carol = await world.user("Carol")  # never started a private chat with the bot
    bob = await world.user("Bob", opened_the_bot=True)
    group = await world.group("Climbers", carol, bob)

    sent = await world.send(carol, group, PIZZA_NIGHT)
    card = await world.reply_in(group, "Pizza night", after=sent)
    note = await world.reply_in(group, "couldn't message you privately", after=sent)
    assert not CODE_RE.search(note["text"])
    claim_url = button(note, "secret code")["url"]
    assert claim_url.startswith("https://t.me/SkedjitTestBot?start=c_")
    payload = claim_url.split("?start=", 1)[1]

    handed = await world.says(carol, carol, f"/start {payload}", expect="Secret code for Pizza night")
    code = code_in(handed)
    assert any("Here is your event's secret code" in text for text in await world.texts(carol))

    again = await world.says(carol, carol, f"/start {payload}", expect="expired or was already used")
    assert not CODE_RE.search(again["text"])
    # The code she was handed is the event's real one: a friend she gives it to can edit.
    await world.says(bob, bob, f"/editevent {link_of(card)} {code} place Luigi's", expect="Updated")
    world.assert_log_keeps_secrets()


async def test_the_creator_moves_the_event_from_the_group_and_every_posted_card_follows(world: World):
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob")
    group = await world.group("Friends", alice, bob)
    first_card, link = await create_pizza_night(world, alice, group)
    bobs_copy = await world.says(bob, bob, f"/start {link}", expect="Pizza night")

    await world.says(alice, group, f"/editevent {link} when 2031-12-06 20:00", expect="Updated")

    async def every_card_moved() -> bool:
        cards = await world.cards(group) + await world.cards(bob)
        ids = {(c["chat"]["id"], c["message_id"]) for c in cards}
        shown = {(first_card["chat"]["id"], first_card["message_id"]), (bob["id"], bobs_copy["message_id"])}
        return shown <= ids and all("Sat 6 Dec 2031, 20:00 CET" in c["text"] for c in cards)

    await world.eventually(every_card_moved, "every card, Bob's copy too, to show the new time")
    assert not any("19:30" in card["text"] for card in await world.cards(group) + await world.cards(bob))
    world.assert_log_keeps_secrets()


async def test_a_friend_holding_the_code_renames_the_event_from_a_private_chat(world: World):
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob")
    group = await world.group("Friends", alice, bob)
    group_card, link = await create_pizza_night(world, alice, group)
    code = code_in(await world.reply_in(alice, "Secret code for Pizza night"))

    sent = await world.send(bob, bob, f"/editevent {link} {code} title New title")

    await world.reply_in(bob, "Updated", after=sent)
    bobs_card = await world.reply_in(bob, "New title", after=sent)
    assert bobs_card["text"].startswith("📅 New title")

    async def group_card_renamed() -> bool:
        return any(
            c["message_id"] == group_card["message_id"] and c["text"].startswith("📅 New title")
            for c in await world.cards(group)
        )

    await world.eventually(group_card_renamed, "the group's card to show the new title")
    world.assert_log_keeps_secrets()


async def test_the_creator_cancels_the_event_after_confirming_and_every_card_says_cancelled(world: World):
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob")
    group = await world.group("Friends", alice, bob)
    _, link = await create_pizza_night(world, alice, group)
    await world.says(bob, bob, f"/start {link}", expect="Pizza night")
    confirm = await world.says(alice, group, f"/deleteevent {link}", expect="for everyone")

    query = await world.tap(alice, confirm, "Yes")

    await world.reply_in(group, "Pizza night is cancelled")

    async def every_card_cancelled() -> bool:
        cards = await world.cards(group) + await world.cards(bob)
        return len(cards) == 2 and all(
            c["text"].startswith("❌ Cancelled: Pizza night") and not has_manage_button(c) for c in cards
        )

    await world.eventually(every_card_cancelled, "the group's card and Bob's copy to say Cancelled")
    answers = await world.tg.callback_answers()
    assert {"callback_query_id": query["id"], "show_alert": False, "text": "Cancelled"} in answers
    world.assert_log_keeps_secrets()


async def test_a_secret_code_posted_in_the_group_is_not_used_and_the_message_is_deleted(world: World):
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob")
    group = await world.group("Friends", alice, bob)
    _, link = await create_pizza_night(world, alice, group)
    code = code_in(await world.reply_in(alice, "Secret code for Pizza night"))

    posted = await world.send(bob, group, f"/editevent {link} {code} title Hijacked")

    warning = await world.reply_in(group, "looks like a secret code", after=posted)
    assert "I deleted the message" in warning["text"] and "/newcode" in warning["text"]
    everything = await world.tg.messages_in(group, include_deleted=True, include_user_messages=True)
    [bobs_message] = [m for m in everything if m["message_id"] == posted["message_id"]]
    assert bobs_message["deleted"]
    await world.settled(posted)
    assert not any("Hijacked" in text or code in text for text in await world.texts(group))
    shown = await world.says(bob, bob, f"/event {link}", expect="Pizza night")
    assert "Hijacked" not in shown["text"]
    world.assert_log_keeps_secrets()


async def test_a_command_addressed_to_another_bot_is_ignored(world: World):
    alice = await world.user("Alice", opened_the_bot=True)
    group = await world.group("Friends", alice)

    ignored = await world.send(alice, group, "/newevent@OtherBot 2031-12-05 19:30 | Not ours")
    await world.says(alice, group, "/newevent@SkedjitTestBot 2031-12-05 19:30 | Ours", expect="Ours")
    await world.settled(ignored)

    said = await world.texts(group) + await world.texts(alice)
    assert not any("Not ours" in text for text in said)
    assert len(await world.cards(group)) == 1
    world.assert_log_keeps_secrets()


async def test_the_command_menus_for_private_chats_and_groups_are_registered_at_start_up(world: World):
    calls = await world.tg.calls("setMyCommands")
    menus = {
        call["params"]["scope"]["type"]: {command["command"] for command in call["params"]["commands"]}
        for call in calls
        if call["status"] == 200
    }

    assert menus["all_private_chats"] >= {
        "newevent",
        "myevents",
        "event",
        "editevent",
        "deleteevent",
        "newcode",
        "timezone",
        "help",
    }
    assert menus["all_group_chats"] >= {"newevent", "event", "editevent", "deleteevent", "help"}
    # What only works in a private chat is not offered in groups.
    assert not menus["all_group_chats"] & {"myevents", "newcode"}
