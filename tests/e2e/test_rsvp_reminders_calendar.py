"""The bot as a real process: friends answer, a full event keeps a waitlist, reminders go out, calendars import.

One polling ``python -m bot`` for the module, looking for due reminders every half second and editing
cards at most every 0.2 s, so nothing here waits for the clock: a reminder is made due by moving its
``due_at`` into the past in PostgreSQL. Every test makes its own users and groups.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from tests.e2e.world import BOT_USERNAME, Database, World, button, link_of

pytestmark = pytest.mark.e2e

REMINDER_POLL_SECONDS = 0.5
PIZZA_NIGHT = "/newevent 2031-12-05 19:30 | Pizza night | Mario's"
PIZZA_TIME = "Fri 5 Dec 2031, 19:30 CET (Europe/Paris)"
PIZZA_INSTANT = datetime(2031, 12, 5, 18, 30, tzinfo=UTC)
REMINDER_MARK = "⏰ Reminder:"


@pytest.fixture(scope="module")
def bot_settings() -> dict[str, str]:
    return {
        "REMINDER_POLL_SECONDS": str(REMINDER_POLL_SECONDS),
        "CARD_EDIT_INTERVAL_SECONDS": "0.2",
    }


async def create_pizza_night(world: World, creator: dict, group: dict) -> tuple[dict, str]:
    card = await world.says(creator, group, PIZZA_NIGHT, expect="Pizza night")
    return card, link_of(card)


async def answer_to(world: World, query: dict) -> str:
    """The text the bot answered a button tap with (the little notice the tapper sees)."""

    async def answered() -> str | None:
        for answer in await world.tg.callback_answers():
            if answer["callback_query_id"] == query["id"]:
                return str(answer.get("text", ""))
        return None

    return await world.eventually(answered, f"the bot to answer tap {query['id']}")


async def card_shows(world: World, card: dict, *lines: str, absent: tuple[str, ...] = ()) -> dict:
    """Wait until the posted ``card`` reads every one of ``lines`` and none of ``absent``."""

    async def current() -> dict | None:
        for message in await world.cards(card["chat"]):
            if message["message_id"] == card["message_id"]:
                text = message["text"]
                if all(line in text for line in lines) and not any(line in text for line in absent):
                    return message
        return None

    return await world.eventually(current, f"the card to show {lines!r} without {absent!r}")


async def count_in(world: World, chat: dict, mark: str) -> int:
    return sum(mark in text for text in await world.texts(chat))


async def test_tapping_going_answers_the_tap_and_the_group_card_lists_the_friend(world: World):
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob")
    group = await world.group("Friends", alice, bob)
    card, _ = await create_pizza_night(world, alice, group)

    query = await world.tap(bob, card, "Going")

    assert await answer_to(world, query) == "You're going ✅"
    await card_shows(world, card, "✅ Going (1): Bob")
    world.assert_log_keeps_secrets()


async def test_a_full_event_puts_the_next_friend_on_the_waitlist_and_promotes_them_when_a_seat_frees_up(
    world: World,
):
    alice = await world.user("Alice", opened_the_bot=True)
    anna = await world.user("Anna")
    ben = await world.user("Ben", opened_the_bot=True)
    group = await world.group("Climbers", alice, anna, ben)
    card, link = await create_pizza_night(world, alice, group)
    await world.says(alice, group, f"/editevent {link} seats 1", expect="Updated")
    assert await answer_to(world, await world.tap(anna, card, "Going")) == "You're going ✅"

    waiting = await answer_to(world, await world.tap(ben, card, "Going"))

    assert "waitlist, number 1" in waiting
    await card_shows(world, card, "✅ Going (1/1): Anna", "⏳ Waitlist (1): Ben")
    assert not any("seat freed up" in text for text in await world.texts(ben))

    await answer_to(world, await world.tap(anna, card, "Can't go"))

    await card_shows(world, card, "✅ Going (1/1): Ben", "❌ Can't go (1)", absent=("Waitlist", "Anna"))
    told = await world.reply_in(ben, "A seat freed up")
    assert "Pizza night" in told["text"] and PIZZA_TIME in told["text"]
    assert f"https://t.me/{BOT_USERNAME}?start={link}" in told["text"]
    assert not any("seat freed up" in text for text in await world.texts(anna))
    world.assert_log_keeps_secrets()


async def test_a_due_reminder_is_posted_in_the_group_and_sent_to_those_going_exactly_once(
    world: World, db: Database
):
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob", opened_the_bot=True)
    carol = await world.user("Carol", opened_the_bot=True)
    group = await world.group("Book club", alice, bob, carol)
    card, link = await create_pizza_night(world, alice, group)
    await answer_to(world, await world.tap(bob, card, "Going"))
    await answer_to(world, await world.tap(carol, card, "Maybe"))

    moved = await db.execute(
        "UPDATE reminders SET due_at = now() - interval '1 second' "
        "WHERE event_id = (SELECT id FROM events WHERE link_id = :link) AND minutes_before = 1440",
        link=link,
    )
    assert moved == 1

    in_group = await world.reply_in(group, REMINDER_MARK)
    to_bob = await world.reply_in(bob, REMINDER_MARK)
    for reminder in (in_group, to_bob):
        assert "Pizza night" in reminder["text"] and PIZZA_TIME in reminder["text"]
        assert "Mario's" in reminder["text"] and f"?start={link}" in reminder["text"]
    # A few more polls of the reminder loop: nothing is sent again.
    await asyncio.sleep(3 * REMINDER_POLL_SECONDS)
    assert await count_in(world, group, REMINDER_MARK) == 1
    assert await count_in(world, bob, REMINDER_MARK) == 1
    assert await count_in(world, carol, REMINDER_MARK) == 0  # only "maybe"
    assert await count_in(world, alice, REMINDER_MARK) == 0  # created it, never said she's going
    states = await db.rows(
        "SELECT minutes_before, state FROM reminders "
        "WHERE event_id = (SELECT id FROM events WHERE link_id = :link) ORDER BY minutes_before",
        link=link,
    )
    assert [tuple(row) for row in states] == [(60, "pending"), (1440, "sent")]
    world.assert_log_keeps_secrets()


async def test_add_to_calendar_sends_an_ics_file_with_the_event_at_the_right_instant(world: World):
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob")
    group = await world.group("Friends", alice, bob)
    card, link = await create_pizza_night(world, alice, group)
    payload = button(card, "calendar")["url"].split("?start=", 1)[1]
    assert payload == f"cal_{link}"

    await world.send(bob, bob, f"/start {payload}")  # what tapping the card's calendar button opens

    [document] = await world.eventually(lambda: world.tg.documents_in(bob), "the .ics file in Bob's chat")
    assert document["file_name"] == "pizza-night.ics"
    assert "Pizza night" in document["caption"]
    [event] = Calendar.from_ical(document["content"]).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Pizza night"
    assert event.decoded("DTSTART").astimezone(UTC) == PIZZA_INSTANT
    assert link in str(event["UID"])
    assert str(event["URL"]) == f"https://t.me/{BOT_USERNAME}?start={link}"
    assert str(event["LOCATION"]) == "Mario's"
    world.assert_log_keeps_secrets()


async def test_a_weekly_series_moves_to_next_week_when_this_weeks_date_begins(world: World, db: Database):
    host = await world.user("Coach", opened_the_bot=True)
    runner = await world.user("Runner")
    group = await world.group("Running club", host, runner)
    card = await world.says(
        host, group, "/newevent every Tue 19:00 | Running club | Park gate", expect="🔁 Every Tuesday"
    )
    link = link_of(card)
    await world.tap(runner, card, "Going")
    card = await card_shows(world, card, "✅ Going (1): Runner")
    this_week = await db.value("SELECT starts_at FROM events WHERE link_id = :l", l=link)
    # This week's date begins (moved into the past in the database, as time would).
    await db.execute("UPDATE events SET starts_at = now() - interval '1 minute' WHERE link_id = :l", l=link)
    moved = await card_shows(world, card, "🔁 Every Tuesday", absent=("Runner",))
    next_week = await db.value("SELECT starts_at FROM events WHERE link_id = :l", l=link)
    assert next_week - this_week == timedelta(days=7)
    assert "Going" in button(moved, "Going")["text"]
    history = await db.rows(
        "SELECT p.user_id, p.status FROM past_answers p JOIN events e ON e.id = p.event_id WHERE e.link_id = :l",
        l=link,
    )
    assert [(user_id, status) for user_id, status in history] == [(runner["id"], "going")]
