"""Time polls as people use them: /poll in a group, taps that cycle an answer, the card everywhere,
/closepoll into the event with its card and private messages, /editpoll, and bad input refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.handlers.polls import run_due
from core.storage.models import Event
from tests.bot.conftest import BotHarness

LINE = "/poll Board games | 2031-12-05 19:00 | 2031-12-06 15:00 | 2031-12-07 11:00 | closes 2031-12-04 20:00"


async def make_poll(harness: BotHarness, user: dict, chat: dict, line: str = LINE) -> tuple[str, dict]:
    await harness.send(user, chat, line)
    card = harness.card_in(chat)
    return harness.link_of(card), card


def current(harness: BotHarness, chat: dict, card: dict) -> dict:
    return next(m for m in harness.fake.messages_in(chat) if m["message_id"] == card["message_id"])


def time_button(harness: BotHarness, card: dict, number: int) -> str:
    return harness.button(card, f"{number}. ")["callback_data"]


async def test_a_poll_in_a_group_posts_a_card_with_a_button_per_time_and_the_code_goes_privately(
    harness: BotHarness, alice, group
):
    await harness.send(alice, alice, "/start")
    _link, card = await make_poll(harness, alice, group)
    assert "📊 Board games" in card["text"]
    for day in ("Fri 5 Dec, 19:00", "Sat 6 Dec, 15:00", "Sun 7 Dec, 11:00"):
        assert day in card["text"]
        assert any(day in b["text"] for b in harness.buttons(card))
    assert "Closes Thu 4 Dec, 20:00" in card["text"]
    assert "Europe/Paris" in card["text"]
    assert all(len(b.get("callback_data", "").encode()) <= 64 for b in harness.buttons(card))
    assert "Secret code for the poll" in harness.last(alice)["text"]


async def test_each_tap_cycles_yes_if_need_be_no_and_the_card_counts_names_and_stars(
    harness: BotHarness, alice, bob, group
):
    link, card = await make_poll(harness, alice, group)
    saturday = time_button(harness, card, 2)
    await harness.tap(bob, card, saturday)
    assert harness.fake.callback_answers[-1]["text"] == "Sat 6 Dec, 15:00: yes"
    text = current(harness, group, card)["text"]
    assert "✅ 1 · 🤷 0" in text and "✅ Bob" in text
    assert "15:00</b> ⭐" in text or "15:00 ⭐" in text
    await harness.tap(bob, card, saturday)
    assert harness.fake.callback_answers[-1]["text"] == "Sat 6 Dec, 15:00: if need be"
    assert "🤷 Bob" in current(harness, group, card)["text"]
    await harness.tap(bob, card, saturday)
    assert harness.fake.callback_answers[-1]["text"] == "Sat 6 Dec, 15:00: no"
    text = current(harness, group, card)["text"]
    assert "Bob" not in text and "❌ 1" in text and "⭐" not in text
    await harness.tap(bob, card, saturday)
    assert harness.fake.callback_answers[-1]["text"] == "Sat 6 Dec, 15:00: yes"
    # The same card shown in a private chat follows too.
    await harness.send(alice, alice, f"/event {link}")
    private = harness.card_in(alice)
    assert "✅ Bob" in private["text"]
    await harness.tap(alice, private, time_button(harness, private, 1))
    assert "✅ Alice" in current(harness, group, card)["text"]


BAD = [
    ("/poll Games | 2031-12-05 19:00", "at least 2 times"),
    ("/poll Games | " + " | ".join(f"2031-12-{d:02d} 19:00" for d in range(1, 12)), "at most 10 times"),
    ("/poll Games | 2020-12-05 19:00 | 2031-12-06 19:00", "Time 1:"),
    ("/poll Games | 2031-12-05 19:00 | 2031-12-05 19:00", "is there twice"),
    (
        "/poll Games | 2031-12-05 19:00 | 2031-12-06 19:00 | closes 2031-12-04 20:00 | 2031-12-07 19:00",
        "put “closes …” last",
    ),
    (
        "/poll Games | 2031-12-05 19:00 | 2031-12-06 19:00 | closes 2031-12-05 20:00",
        "before its earliest time",
    ),
    ("/poll Games | 2031-12-05 19:00 | whenever", "Time 2:"),
]


@pytest.mark.parametrize(("line", "says"), BAD)
async def test_bad_polls_get_a_clear_reply_with_an_example_and_nothing_is_made(
    harness: BotHarness, alice, group, line, says
):
    await harness.send(alice, group, line)
    reply = harness.last(group)["text"]
    assert says in reply and "Example: /poll" in reply
    assert not [m for m in harness.fake.messages_in(group) if "🔗" in m["text"]]


async def test_closing_turns_the_poll_into_the_event_with_its_card_and_tells_each_voter(
    harness: BotHarness, alice, bob, group
):
    carol, dan = harness.fake.add_user("Carol"), harness.fake.add_user("Dan")
    for person in (bob, carol):
        await harness.send(person, person, "/start")  # they opened the bot; Dan never did
    link, card = await make_poll(harness, alice, group)
    sunday = time_button(harness, card, 3)
    await harness.tap(bob, card, sunday)
    await harness.tap(dan, card, sunday)
    await harness.tap(carol, card, sunday)
    await harness.tap(carol, card, sunday)  # if need be
    await harness.tap(bob, card, time_button(harness, card, 1))
    await harness.send(bob, group, f"/closepoll {link}")
    assert "Only the poll's creator" in harness.last(group)["text"]
    await harness.send(alice, group, f"/closepoll {link} 3")
    assert any("Decided: Board games" in said for said in harness.said(group))
    old = current(harness, group, card)
    assert "Decided:" in old["text"] and "Sun 7 Dec 2031, 11:00" in old["text"]
    assert not harness.buttons(old)
    event_card = harness.card_in(group)
    assert event_card["message_id"] != card["message_id"]
    assert "✅ Going (2): Bob, Dan" in event_card["text"]
    assert "🤔 Maybe (1): Carol" in event_card["text"]
    assert "you're going" in harness.last(bob)["text"]
    assert "maybe" in harness.last(carol)["text"]
    # The event takes answers on its card as any event does.
    await harness.tap(carol, event_card, harness.button(event_card, "Going")["callback_data"])
    assert "✅ Going (3)" in harness.card_in(group)["text"]
    # A tap on the old poll card (a client that did not refresh it) is told, and changes nothing.
    harness.fake.user_taps(bob, old, sunday, forged=True)
    await harness.pump()
    assert "decided already" in harness.fake.callback_answers[-1]["text"]
    assert "✅ Going (3)" in harness.card_in(group)["text"]


async def test_the_deadline_decides_the_poll_from_the_reminders_loop(harness: BotHarness, alice, bob, group):
    await harness.send(bob, bob, "/start")
    link, card = await make_poll(harness, alice, group)
    await harness.tap(bob, card, time_button(harness, card, 2))
    data = harness.app.bot_data
    uow = data.uow()
    async with uow:  # the deadline comes: a second ago
        await uow.session.execute(
            update(Event)
            .where(Event.link_id == link)
            .values(poll_closes_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await uow.commit()
    await run_due(harness.app.bot, data)
    await harness.pump()
    old = current(harness, group, card)
    assert "Decided:" in old["text"] and "Sat 6 Dec 2031, 15:00" in old["text"]
    assert "✅ Going (1): Bob" in harness.card_in(group)["text"]
    assert "you're going" in harness.last(bob)["text"]
    await run_due(harness.app.bot, data)  # again: nothing more is decided or sent
    await harness.pump()
    assert len([m for m in harness.fake.messages_in(group) if "✅ Going" in m["text"]]) == 1


async def test_editing_times_drops_votes_on_a_removed_time_and_the_voter_is_told(
    harness: BotHarness, alice, bob, group
):
    await harness.send(bob, bob, "/start")
    link, card = await make_poll(harness, alice, group)
    await harness.tap(bob, card, time_button(harness, card, 1))
    await harness.send(alice, group, f"/editpoll {link} options 2031-12-06 15:00 | 2031-12-08 18:00")
    assert "dropped" in harness.last(group)["text"]
    text = current(harness, group, card)["text"]
    assert "Fri 5 Dec" not in text and "Mon 8 Dec, 18:00" in text and "Bob" not in text
    assert "a time you voted for was taken off" in harness.last(bob)["text"]
    await harness.send(alice, group, f"/editpoll {link} title Games night")
    assert "Games night" in current(harness, group, card)["text"]
    await harness.send(bob, group, f"/editpoll {link} title Mine now")
    assert "Only the poll's creator" in harness.last(group)["text"]


async def test_a_deleted_poll_says_so_and_takes_no_votes(harness: BotHarness, alice, bob, group):
    link, card = await make_poll(harness, alice, group)
    await harness.send(alice, alice, f"/deleteevent {link}")
    confirm = harness.last(alice)
    await harness.tap(alice, confirm, harness.button(confirm, "Yes")["callback_data"])
    text = current(harness, group, card)["text"]
    assert "Cancelled poll" in text
    assert not any(
        b.get("callback_data", "").startswith("pv:") for b in harness.buttons(current(harness, group, card))
    )
    # A client that still shows the old buttons is told, and nothing is recorded.
    harness.fake.user_taps(bob, card, time_button(harness, card, 1), forged=True)
    await harness.pump()
    assert "cancelled" in harness.fake.callback_answers[-1]["text"].lower()
    assert "Bob" not in current(harness, group, card)["text"]


async def test_a_poll_is_shared_inline_with_its_voting_buttons(harness: BotHarness, alice, bob, group):
    link, _card = await make_poll(harness, alice, group)
    harness.fake.user_inline_query(bob, link)
    await harness.pump()
    [result] = harness.fake.inline_answers[-1]["results"]
    assert "Board games" in result["input_message_content"]["message_text"]
    assert any(
        b.get("callback_data", "").startswith("pv:")
        for row in result["reply_markup"]["inline_keyboard"]
        for b in row
    )


async def test_an_admins_only_group_refuses_a_members_poll(harness: BotHarness, alice, bob, group):
    harness.fake.set_member(group, alice, "administrator")
    await harness.send(alice, group, "/settings")
    menu = harness.last(group)
    await harness.tap(alice, menu, harness.button(menu, "Admins only")["callback_data"])
    await harness.send(bob, group, LINE)
    assert "Only this group's admins can start polls" in harness.last(group)["text"]
    assert not [m for m in harness.fake.messages_in(group) if "Board games" in m["text"]]


def test_vote_buttons_are_read_strictly():
    from bot import keyboards

    assert keyboards.decode_callback("pv:12:UrCtu5aBuc").option == 12
    for bad in (
        "pv:012:UrCtu5aBuc",
        "pv:-1:UrCtu5aBuc",
        "pv:x:UrCtu5aBuc",
        "pv:1",
        "pv:1:2:3",
        "pv:١:UrCtu5aBuc",
    ):
        with pytest.raises(keyboards.BadCallback):
            keyboards.decode_callback(bad)


async def test_the_guided_poll_in_a_private_chat_asks_step_by_step_and_previews(harness: BotHarness, alice):
    await harness.send(alice, alice, "/poll")
    assert "What is the poll about" in harness.last(alice)["text"]
    await harness.send(alice, alice, "Board games")
    assert "one per message" in harness.last(alice)["text"]
    await harness.send(alice, alice, "2031-12-05 19:00")
    assert "Time 1: Fri 5 Dec, 19:00" in harness.last(alice)["text"]
    await harness.send(alice, alice, "done")
    assert "at least 2 times" in harness.last(alice)["text"]
    await harness.send(alice, alice, "2031-12-05 19:00")
    assert "is there twice" in harness.last(alice)["text"]
    await harness.send(alice, alice, "whenever")
    assert "couldn't understand" in harness.last(alice)["text"]
    await harness.send(alice, alice, "2031-12-06 15:00")
    await harness.send(alice, alice, "done")
    assert "close by itself" in harness.last(alice)["text"]
    await harness.send(alice, alice, "2031-12-06 10:00")
    assert "before its earliest time" in harness.last(alice)["text"]
    await harness.send(alice, alice, "/skip")
    preview = harness.last(alice)
    assert "Board games" in preview["text"] and "Sat 6 Dec, 15:00" in preview["text"]
    assert "🔗" not in preview["text"]
    await harness.tap(alice, preview, harness.button(preview, "Create")["callback_data"])
    card = harness.card_in(alice)
    assert "📊 Board games" in card["text"] and harness.button(card, "2. Sat 6 Dec")
    assert any("Secret code for the poll" in text for text in harness.said(alice))


async def test_an_event_field_a_poll_does_not_have_is_refused_clearly(harness: BotHarness, alice, group):
    link, card = await make_poll(harness, alice, group)
    await harness.send(alice, group, f"/editevent {link} when 2031-12-09 19:00")
    assert "/editpoll" in harness.last(group)["text"]
    assert "Fri 5 Dec, 19:00" in current(harness, group, card)["text"]


async def test_a_reader_in_another_zone_sees_each_time_in_their_own_too(
    harness: BotHarness, alice, bob, group
):
    link, _card = await make_poll(harness, alice, group)
    await harness.send(bob, bob, "/timezone New York")
    await harness.send(bob, bob, f"/event {link}")
    text = harness.card_in(bob)["text"]
    assert "Fri 5 Dec, 19:00" in text and "(Fri 5 Dec, 13:00 your time)" in text


async def test_a_repeated_poll_update_makes_one_poll_and_one_card(harness: BotHarness, alice, group):
    from telegram import Update

    await harness.send(alice, alice, "/start")
    harness.fake.user_sends(alice, group, LINE)
    [raw] = harness.fake.take_updates()
    for _ in range(2):  # as a webhook retry, or polling after a crash, would deliver it
        await harness.app.process_update(Update.de_json(raw, harness.app.bot))
    assert len([t for t in harness.said(group) if "Board games" in t]) == 1
    assert sum("Secret code for the poll" in t for t in harness.said(alice)) == 1


async def test_help_tells_how_to_ask_a_poll(harness: BotHarness, alice):
    await harness.send(alice, alice, "/help")
    text = harness.last(alice)["text"]
    assert "/poll Board games | Fri 19:00" in text and "/closepoll" in text


async def test_the_manage_button_of_a_poll_says_how_to_decide_and_change_it(
    harness: BotHarness, alice, group
):
    link, _card = await make_poll(harness, alice, group)
    await harness.send(alice, alice, f"/start m_{link}")
    menu = harness.last(alice)
    assert f"/closepoll {link} 2" in menu["text"] and f"/editpoll {link} title" in menu["text"]
    assert harness.button(menu, "Delete")
    await harness.send(alice, alice, f"/closepoll {link} 2")
    assert any("Decided: Board games" in t for t in harness.said(alice))
