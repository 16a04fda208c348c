"""Recurring series through the bot: made in one line or step by step, shown with how they repeat,
moving on when a date begins, and a date skipped or moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bot.app import _remind
from bot.timefmt import format_day
from core import recurrence, service
from tests.bot.conftest import BotHarness
from tests.bot.test_view import make_event


def current(harness: BotHarness, chat: dict, message: dict) -> dict:
    return next(m for m in harness.fake.messages_in(chat) if m["message_id"] == message["message_id"])


async def run_the_loop(harness: BotHarness) -> None:
    """What the bot's reminder loop does every REMINDER_POLL_SECONDS, then the card edits."""
    await _remind(type("Context", (), {"bot": harness.app.bot, "bot_data": harness.app.bot_data})())
    await harness.pump()


async def test_a_series_made_in_one_line_says_how_it_repeats_and_lists_the_next_dates(
    harness: BotHarness, alice, group
):
    await harness.send(alice, group, "/newevent every Tue 19:00 | Running club | Park gate")
    card = harness.card_in(group)
    assert "📅 Running club" in card["text"]
    assert "🔁 Every Tuesday" in card["text"]
    assert "Then: Tue" in card["text"] and card["text"].count(" · ") >= 2


async def test_a_phrase_that_cannot_repeat_gets_an_example(harness: BotHarness, alice, group):
    await harness.send(alice, group, "/newevent every blursday 19:00 | Running club")
    assert "every Tue 19:00" in harness.last(group)["text"]
    assert not [m for m in harness.fake.messages_in(group) if "🔗" in m["text"]]


async def test_when_a_date_begins_every_card_moves_to_the_next_with_fresh_answers(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group, "every Tue 19:00 | Running club")
    card = harness.card_in(group)
    first_line = card["text"].splitlines()[1]
    await harness.tap(bob, card, harness.button(card, "Going")["callback_data"])
    assert "✅ Going (1): Bob" in current(harness, group, card)["text"]
    async with harness.app.bot_data.uow() as uow:  # the date begins
        await uow.session.execute(
            text("UPDATE events SET starts_at = :t WHERE link_id = :l"),
            {"t": datetime.now(UTC) - timedelta(minutes=1), "l": link},
        )
        await uow.commit()
    await run_the_loop(harness)
    moved = current(harness, group, card)
    assert moved["text"].splitlines()[1] != first_line
    assert "Bob" not in moved["text"] and "Going" in harness.buttons(moved)[0]["text"]


async def test_skipping_the_next_date_tells_who_was_going(harness: BotHarness, alice, bob, group):
    await harness.send(bob, bob, "/start")
    link = await make_event(harness, alice, group, "every Tue 19:00 | Running club")
    card = harness.card_in(group)
    await harness.tap(bob, card, harness.button(card, "Going")["callback_data"])
    await harness.send(alice, group, f"/skipdate {link}")
    assert "is skipped. The next date is" in harness.last(group)["text"]
    assert "will not take place" in harness.last(bob)["text"]
    assert "Bob" not in current(harness, group, card)["text"]


async def test_moving_a_later_date_shows_its_new_time_on_the_card_and_a_bad_move_changes_nothing(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group, "every Tue 19:00 | Running club")
    card = harness.card_in(group)
    event = await service.get_event(harness.app.bot_data.uow(), link)
    zone = ZoneInfo(event.timezone)
    second = recurrence.next_start(
        event.recurrence, event.series_start, event.timezone, after=event.starts_at
    )
    wednesday = (second.astimezone(zone) + timedelta(days=1)).replace(hour=20, minute=30)
    assert format_day(second, event.timezone) in current(harness, group, card)["text"]

    await harness.send(
        bob, group, f"/movedate {link} {second.astimezone(zone):%Y-%m-%d} to {wednesday:%Y-%m-%d %H:%M}"
    )
    assert "Bob" not in harness.last(group)["text"] and "moves to" not in harness.last(group)["text"]
    await harness.send(alice, group, f"/movedate {link} {second.astimezone(zone):%Y-%m-%d} to whenever")
    assert "couldn't understand “whenever”" in harness.last(group)["text"]
    await harness.send(alice, group, f"/movedate {link} {second.astimezone(zone):%Y-%m-%d}")
    assert "/movedate LINK" in harness.last(group)["text"]
    assert (await service.get_event(harness.app.bot_data.uow(), link)).moved_dates == ()

    await harness.send(
        alice, group, f"/movedate {link} {second.astimezone(zone):%Y-%m-%d} to {wednesday:%Y-%m-%d %H:%M}"
    )
    assert "moves to Wed" in harness.last(group)["text"]
    await harness.pump()
    shown = current(harness, group, card)["text"]
    assert format_day(wednesday, event.timezone) in shown
    assert format_day(second, event.timezone) not in shown


async def test_the_guided_flow_asks_whether_it_repeats(harness: BotHarness, alice):
    await harness.send(alice, alice, "/newevent")
    await harness.send(alice, alice, "Book club")
    await harness.send(alice, alice, "2031-06-03 19:00")
    asked = harness.last(alice)
    await harness.tap(alice, asked, harness.button(asked, "Monthly")["callback_data"])
    await harness.send(alice, alice, "/skip")
    preview = harness.last(alice)
    assert "🔁 Every month on the 3rd" in preview["text"]
    await harness.tap(alice, preview, harness.button(preview, "Create")["callback_data"])
    assert "🔁 Every month on the 3rd" in harness.card_in(alice)["text"]
