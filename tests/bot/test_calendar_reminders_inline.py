"""Add to calendar, reminders, and inline sharing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.reminders import send_due_reminders
from tests.bot.conftest import BotHarness
from tests.bot.test_view import make_event

PARIS = ZoneInfo("Europe/Paris")  # the harness's DEFAULT_TIMEZONE


async def test_add_to_calendar_sends_an_ics_file_and_a_google_link(harness: BotHarness, alice, bob, group):
    link = await make_event(harness, alice, group, "2031-12-05 19:30 | Pizza, night; \\o/ | Mario's, 5th Ave")
    url = harness.button(harness.card_in(group), "calendar")["url"]
    assert url.endswith(f"start=cal_{link}")
    await harness.send(bob, bob, f"/start cal_{link}")
    [document] = harness.fake.documents_in(bob)
    assert document["file_name"].endswith(".ics")
    event = Calendar.from_ical(document["content"]).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Pizza, night; \\o/"
    assert str(event["LOCATION"]) == "Mario's, 5th Ave"
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2031, 12, 5, 18, 30, tzinfo=UTC)
    assert str(event["UID"]).startswith(link)
    assert str(event["URL"]) == f"https://t.me/SkedjitTestBot?start={link}"
    assert "calendar.google.com" in harness.button(harness.fake.last_message(bob), "Google")["url"]


async def test_an_edited_events_file_has_a_higher_sequence_and_a_cancelled_one_says_so(
    harness: BotHarness, alice, group
):
    link = await make_event(harness, alice, group)
    await harness.send(alice, alice, f"/start cal_{link}")
    await harness.send(alice, group, f"/editevent {link} title Pasta night")
    await harness.send(alice, alice, f"/start cal_{link}")
    await harness.send(alice, group, f"/deleteevent {link}")
    confirm = harness.last(group)
    await harness.tap(alice, confirm, harness.button(confirm, "Yes")["callback_data"])
    await harness.send(alice, alice, f"/start cal_{link}")
    first, edited, cancelled = (
        Calendar.from_ical(d["content"]).walk("VEVENT")[0] for d in harness.fake.documents_in(alice)
    )
    assert str(first["UID"]) == str(edited["UID"]) == str(cancelled["UID"])
    assert int(first["SEQUENCE"]) < int(edited["SEQUENCE"]) < int(cancelled["SEQUENCE"])
    assert str(cancelled["STATUS"]) == "CANCELLED"


async def test_a_due_reminder_goes_to_the_group_and_to_those_going_once(
    harness: BotHarness, alice, bob, group
):
    start = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    await make_event(harness, alice, group, f"{start.astimezone(PARIS):%Y-%m-%d %H:%M} | Match")
    card = harness.card_in(group)
    carol = harness.fake.add_user("Carol")
    await harness.send(bob, bob, "/start")
    await harness.send(carol, carol, "/start")
    await harness.tap(bob, card, harness.button(card, "Going")["callback_data"])
    await harness.tap(carol, card, harness.button(card, "Maybe")["callback_data"])
    data = harness.app.bot_data
    assert await send_due_reminders(harness.app.bot, data, now=start - timedelta(days=2)) == 0
    sent = await send_due_reminders(harness.app.bot, data, now=start - timedelta(hours=23, minutes=59))
    assert sent == 2
    assert "⏰ Reminder: Match starts in 1 day" in harness.last(group)["text"]
    assert "⏰ Reminder: Match" in harness.last(bob)["text"]
    assert "Reminder" not in harness.last(carol)["text"]  # maybe is not going
    # Run again: nothing is sent twice. The hour-before reminder comes later.
    assert await send_due_reminders(harness.app.bot, data, now=start - timedelta(hours=23)) == 0
    assert await send_due_reminders(harness.app.bot, data, now=start - timedelta(minutes=59)) == 2
    # After the start, nothing more.
    assert await send_due_reminders(harness.app.bot, data, now=start + timedelta(minutes=1)) == 0


async def test_reminders_can_be_shown_changed_and_turned_off(harness: BotHarness, alice, bob, group):
    start = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    link = await make_event(harness, alice, group, f"{start.astimezone(PARIS):%Y-%m-%d %H:%M} | Match")
    await harness.send(bob, group, f"/reminders {link}")
    assert "1 day and 1 hour before the start" in harness.last(group)["text"]
    await harness.send(bob, group, f"/reminders {link} 30m")
    assert "Only the creator" in harness.last(group)["text"]
    await harness.send(alice, group, f"/reminders {link} 2h 30m")
    await harness.send(alice, group, f"/reminders {link}")
    assert "2 hours and 30 minutes before the start" in harness.last(group)["text"]
    await harness.send(alice, group, f"/reminders {link} whenever")
    assert "Reminders:" in harness.last(group)["text"]
    await harness.send(alice, group, f"/reminders {link} off")
    data = harness.app.bot_data
    assert await send_due_reminders(harness.app.bot, data, now=start - timedelta(minutes=1)) == 0


async def test_inline_sharing_offers_an_events_card_and_keeps_it_in_sync(
    harness: BotHarness, alice, bob, group
):
    harness.fake.inline_feedback = True  # /setinlinefeedback in @BotFather, as the README says
    link = await make_event(harness, alice, group)
    query = harness.fake.user_inline_query(bob, link)
    await harness.pump()
    [result] = harness.fake.inline_answers[-1]["results"]
    assert result["id"] == link
    assert "Pizza night" in result["input_message_content"]["message_text"]
    other_group = harness.fake.add_group("Elsewhere")
    harness.fake.set_member(other_group, bob)
    harness.fake.user_picks_inline_result(bob, query, link, other_group)
    await harness.pump()
    shared = harness.fake.messages_in(other_group)[-1]
    await harness.send(alice, group, f"/editevent {link} title Pasta night")
    shared = next(m for m in harness.fake.messages_in(other_group) if m["message_id"] == shared["message_id"])
    assert "Pasta night" in shared["text"]


async def test_inline_with_no_text_offers_the_users_own_upcoming_events(
    harness: BotHarness, alice, bob, group
):
    await make_event(harness, alice, group, "2031-12-05 19:30 | Mine")
    harness.fake.user_inline_query(alice, "")
    harness.fake.user_inline_query(bob, "")
    harness.fake.user_inline_query(bob, "nonsense")
    await harness.pump()
    mine, bobs, nonsense = harness.fake.inline_answers[-3:]
    assert [r["title"] for r in mine["results"]] == ["Mine"]
    assert bobs["results"] == [] and nonsense["results"] == []


async def test_a_forged_tap_cannot_rebind_an_inline_card_to_another_event(
    harness: BotHarness, alice, bob, group
):
    """Issue 10.4: the tap's data used to re-record someone's inline card as the attacker's event."""
    harness.fake.inline_feedback = True
    link = await make_event(harness, alice, group)
    query = harness.fake.user_inline_query(bob, link)
    await harness.pump()
    other_group = harness.fake.add_group("Elsewhere")
    harness.fake.set_member(other_group, bob)
    shared = harness.fake.user_picks_inline_result(bob, query, link, other_group)
    await harness.pump()
    mallory = harness.fake.add_user("Mallory", "mallory")
    harness.fake.set_member(other_group, mallory)
    theirs = await make_event(harness, mallory, mallory, "2031-12-06 20:00 | Free crypto")
    harness.fake.user_taps(mallory, shared, f"rv:g:{theirs}", forged=True)
    await harness.pump()
    await harness.send(alice, group, f"/editevent {link} title Pasta night")
    text = next(m for m in harness.fake.messages_in(other_group) if m["message_id"] == shared["message_id"])[
        "text"
    ]
    assert "Pasta night" in text and "Free crypto" not in text


async def test_without_inline_feedback_a_tap_answers_but_does_not_track_the_inline_card(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    query = harness.fake.user_inline_query(bob, link)
    await harness.pump()
    other_group = harness.fake.add_group("Elsewhere")
    harness.fake.set_member(other_group, bob)
    shared = harness.fake.user_picks_inline_result(bob, query, link, other_group)
    await harness.pump()
    await harness.tap(bob, shared, harness.button(shared, "Going")["callback_data"])
    assert "going" in harness.fake.callback_answers[-1]["text"]
    await harness.send(bob, bob, f"/event {link}")
    assert "✅ Going (1): Bob" in harness.last(bob)["text"]
    await harness.send(alice, group, f"/editevent {link} title Pasta night")
    text = next(m for m in harness.fake.messages_in(other_group) if m["message_id"] == shared["message_id"])[
        "text"
    ]
    assert "Pizza night" in text  # the card is not known without inline feedback (README: /setinlinefeedback)
