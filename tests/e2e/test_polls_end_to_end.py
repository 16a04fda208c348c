"""The bot as a real process over HTTP against the Bot API emulator: a time poll in a group, four friends
vote, the creator closes it, the event's card lists the right people, and each voter is told privately."""

from __future__ import annotations

import pytest

from tests.e2e.world import World, button, link_of

pytestmark = pytest.mark.e2e

POLL = "/poll Board games | 2031-12-05 19:00 | 2031-12-06 15:00 | 2031-12-07 11:00"


@pytest.fixture(scope="module")
def bot_settings() -> dict[str, str]:
    return {"REMINDER_POLL_SECONDS": "0.5", "CARD_EDIT_INTERVAL_SECONDS": "0.2"}


async def answer_to(world: World, query: dict) -> str:
    async def answered() -> str | None:
        for answer in await world.tg.callback_answers():
            if answer["callback_query_id"] == query["id"]:
                return str(answer.get("text", ""))
        return None

    return await world.eventually(answered, f"the bot to answer tap {query['id']}")


async def current(world: World, card: dict) -> dict:
    for message in await world.messages(card["chat"]):
        if message["message_id"] == card["message_id"]:
            return message
    raise AssertionError("the card is gone")


async def test_a_poll_voted_on_by_four_friends_and_closed_by_its_creator_becomes_the_event(world: World):
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob", opened_the_bot=True)
    carol = await world.user("Carol", opened_the_bot=True)
    dan = await world.user("Dan", opened_the_bot=True)
    eve = await world.user("Eve", opened_the_bot=True)
    group = await world.group("Gamers", alice, bob, carol, dan, eve)

    card = await world.says(alice, group, POLL, expect="Board games")
    link = link_of(card)
    await world.reply_in(alice, "Secret code for the poll")

    saturday = "2. Sat 6 Dec"
    assert await answer_to(world, await world.tap(bob, card, saturday)) == "Sat 6 Dec, 15:00: yes"
    assert await answer_to(world, await world.tap(carol, card, saturday)) == "Sat 6 Dec, 15:00: yes"
    await answer_to(world, await world.tap(dan, card, saturday))
    assert await answer_to(world, await world.tap(dan, card, saturday)) == "Sat 6 Dec, 15:00: if need be"
    assert await answer_to(world, await world.tap(eve, card, "1. Fri 5 Dec")) == "Fri 5 Dec, 19:00: yes"

    async def counted() -> bool:
        text = (await current(world, card))["text"]
        return "✅ 2 · 🤷 1" in text and "✅ Bob, Carol" in text and "🤷 Dan" in text

    await world.eventually(counted, "the poll card to count the votes")
    assert "15:00 ⭐" in (await current(world, card))["text"]

    await world.says(alice, group, f"/closepoll {link}", expect="Decided: Board games")

    async def decided() -> bool:
        message = await current(world, card)
        return "Decided:" in message["text"] and "Sat 6 Dec 2031, 15:00" in message["text"]

    await world.eventually(decided, "the poll's card to say it was decided")
    event_card = await world.reply_in(group, "✅ Going (2): Bob, Carol", after=card)
    assert "🤔 Maybe (1): Dan" in event_card["text"] and "Sat 6 Dec 2031, 15:00" in event_card["text"]
    assert "Eve" not in event_card["text"]
    assert button(event_card, "Going")
    await world.reply_in(bob, "Board games is decided")
    await world.reply_in(carol, "you're going")
    await world.reply_in(dan, "maybe")
    assert not any("is decided" in text for text in await world.texts(eve))
    world.assert_log_keeps_secrets()
