"""The organizer's controls as people use them: ends, deadlines, guests, a hidden list, /settings, the
first card's zone, and /export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import text

from bot.app import _remind
from tests.bot.conftest import BotHarness
from tests.bot.test_view import make_event


def current(harness: BotHarness, chat: dict, message: dict) -> dict:
    return next(m for m in harness.fake.messages_in(chat) if m["message_id"] == message["message_id"])


async def test_an_event_with_an_end_shows_it_and_exports_it(harness: BotHarness, alice, group):
    link = await make_event(harness, alice, group, "2031-12-05 19:30-22:00 | Dinner")
    card = harness.card_in(group)
    assert "Fri 5 Dec 2031, 19:30 CET (Europe/Paris) –22:00" in card["text"]
    await harness.send(alice, group, f"/editevent {link} end Sat 01:00")
    assert "→ Sat 6 Dec, 01:00" in current(harness, group, card)["text"]
    await harness.send(alice, alice, f"/start cal_{link}")
    [document] = harness.fake.documents_in(alice)
    event = Calendar.from_ical(document["content"]).walk("VEVENT")[0]
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2031, 12, 6, 0, 0, tzinfo=UTC)


async def test_an_end_before_the_start_gets_a_clear_reply(harness: BotHarness, alice, group):
    link = await make_event(harness, alice, group, "2031-12-05 19:30 | Dinner")
    await harness.send(alice, group, f"/editevent {link} end 2031-12-01 10:00")
    assert "before the start" in harness.last(group)["text"]
    assert "–" not in harness.card_in(group)["text"].split("\n")[1]


async def test_after_the_deadline_the_buttons_say_answers_are_closed(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group, "2031-12-05 19:30 | Dinner")
    card = harness.card_in(group)
    await harness.send(alice, group, f"/editevent {link} closes 2031-12-04 18:00")
    assert "⏳ Answers close Thu 4 Dec, 18:00" in current(harness, group, card)["text"]
    await harness.send(alice, group, f"/editevent {link} closes 2031-12-06 18:00")
    assert "before the event starts" in harness.last(group)["text"]
    # The deadline passes (moved into the past in the database, as time would).
    async with harness.app.bot_data.uow() as uow:
        await uow.session.execute(
            text("UPDATE events SET answers_close_at = :t WHERE link_id = :l"),
            {"t": datetime.now(UTC) - timedelta(minutes=1), "l": link},
        )
        await uow.commit()
    harness.fake.user_taps(bob, card, harness.button(card, "Going")["callback_data"], forged=True)
    await harness.pump()
    assert harness.fake.callback_answers[-1]["text"] == "Answers to this event are closed."
    await _remind(type("Context", (), {"bot": harness.app.bot, "bot_data": harness.app.bot_data})())
    await harness.pump()
    closed = current(harness, group, card)
    assert "🔒 Answers are closed" in closed["text"]
    assert harness.buttons(closed)[0]["text"] == "🔒 Answers closed"
    await harness.tap(bob, closed, harness.button(closed, "Answers closed")["callback_data"])
    assert "closed" in harness.fake.callback_answers[-1]["text"]
    assert "Bob" not in closed["text"]


async def test_guests_come_with_a_button_and_count_against_the_seats(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group, "2031-12-05 19:30 | Dinner")
    card = harness.card_in(group)
    await harness.send(alice, group, f"/editevent {link} seats 3")
    await harness.send(alice, group, f"/editevent {link} guests 2")
    card = current(harness, group, card)
    await harness.tap(alice, card, harness.button(card, "Going")["callback_data"])
    await harness.tap(alice, card, harness.button(card, "Guest")["callback_data"])
    assert harness.fake.callback_answers[-1]["text"] == "You're bringing 1 guest."
    await harness.tap(alice, card, harness.button(card, "Guest")["callback_data"])
    assert "✅ Going (3/3): Alice +2" in current(harness, group, card)["text"]
    await harness.tap(bob, card, harness.button(card, "Going")["callback_data"])
    assert "waitlist" in harness.fake.callback_answers[-1]["text"]
    await harness.tap(bob, card, harness.button(card, "Guest")["callback_data"])  # he waits with a guest
    await harness.tap(alice, card, harness.button(card, "Guest")["callback_data"])  # back to none
    assert harness.fake.callback_answers[-1]["text"] == "No guests with you now."
    assert "✅ Going (3/3): Alice, Bob +1" in current(harness, group, card)["text"]


async def test_guests_over_the_limit_or_without_going_get_a_clear_answer(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group, "2031-12-05 19:30 | Dinner")
    await harness.send(alice, group, f"/editevent {link} guests 11")
    assert "at most 10 guests" in harness.last(group)["text"]
    await harness.send(alice, group, f"/editevent {link} guests 1")
    card = harness.card_in(group)
    await harness.tap(bob, card, harness.button(card, "Guest")["callback_data"])
    assert harness.fake.callback_answers[-1]["text"] == "Tap Going first, then add your guests."


async def test_a_hidden_list_shows_counts_in_the_group_and_names_to_the_organizer(
    harness: BotHarness, alice, bob, group
):
    await harness.send(alice, alice, "/start")
    link = await make_event(harness, alice, group, "2031-12-05 19:30 | Dinner")
    card = harness.card_in(group)
    await harness.tap(bob, card, harness.button(card, "Going")["callback_data"])
    await harness.send(alice, group, f"/editevent {link} list hidden")
    assert "✅ Going (1)" in current(harness, group, card)["text"]
    assert "Bob" not in current(harness, group, card)["text"]
    await harness.send(bob, bob, f"/event {link}")
    assert "Bob" not in harness.card_in(bob)["text"]
    await harness.send(alice, alice, f"/event {link}")
    assert "✅ Going (1): Bob" in harness.card_in(alice)["text"]


async def test_an_admins_only_group_refuses_a_members_event(harness: BotHarness, alice, bob, group):
    harness.fake.set_member(group, alice, "administrator")
    await harness.send(bob, group, "/settings")
    menu = harness.last(group)
    await harness.tap(bob, menu, harness.button(menu, "Admins only")["callback_data"])
    assert "Only the group's admins" in harness.fake.callback_answers[-1]["text"]
    await harness.tap(alice, menu, harness.button(menu, "Admins only")["callback_data"])
    assert "Only this group's admins may create events" in current(harness, group, menu)["text"]
    await harness.send(bob, group, "/newevent 2031-12-05 19:30 | Bob's party")
    assert "only admins create events" in harness.last(group)["text"]
    assert not [m for m in harness.fake.messages_in(group) if "Bob's party" in m["text"]]
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Alice's party")
    assert "Alice's party" in harness.card_in(group)["text"]


async def test_the_first_card_in_a_fresh_chat_names_its_zone_and_the_second_does_not(
    harness: BotHarness, alice, group
):
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | First")
    assert "Times here are in Europe/Paris" in harness.card_in(group)["text"]
    await harness.send(alice, group, "/newevent 2031-12-06 19:30 | Second")
    assert "Times here are in" not in harness.card_in(group)["text"]


async def test_setting_the_zone_offers_to_move_the_first_event(harness: BotHarness, alice, group):
    harness.fake.set_member(group, alice, "administrator")
    link = await make_event(harness, alice, group, "2031-12-05 19:30 | First")
    first = harness.card_in(group)
    await harness.send(alice, group, "/timezone New York")
    offer = harness.last(group)
    assert "Keep it at that clock time" in offer["text"]
    await harness.tap(alice, offer, harness.button(offer, "Same clock time")["callback_data"])
    assert "19:30 EST (America/New_York)" in harness.last(group)["text"]
    assert "Fri 5 Dec 2031, 19:30 EST (America/New_York)" in current(harness, group, first)["text"]
    await harness.send(alice, alice, f"/event {link}")
    assert "19:30 EST" in harness.card_in(alice)["text"]


async def test_export_sends_the_creator_a_spreadsheet_privately(harness: BotHarness, alice, bob, group):
    await harness.send(alice, alice, "/start")
    link = await make_event(harness, alice, group, '2031-12-05 19:30 | Dinner, "the big one"')
    card = harness.card_in(group)
    bob_renamed = harness.fake.add_user('Bob "Jr", Esq.', "bobjr")
    harness.fake.set_member(group, bob_renamed)
    await harness.tap(bob_renamed, card, harness.button(card, "Going")["callback_data"])
    await harness.tap(bob, card, harness.button(card, "Maybe")["callback_data"])
    await harness.send(alice, group, f"/export {link}")
    assert "sent you the list privately" in harness.last(group)["text"]
    [document] = harness.fake.documents_in(alice)
    assert document["file_name"].endswith(".csv")
    raw = document["content"]
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Answer", "Guests", "Answered at", "Place on the waitlist"]
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [('Bob "Jr", Esq.', "Going", "0"), ("Bob", "Maybe", "0")]
    await harness.send(bob, bob, f"/export {link}")
    assert "send me its secret code" in harness.last(bob)["text"]
    assert not harness.fake.documents_in(bob)
