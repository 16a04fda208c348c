"""Time polls in the reader's language: the card in the group's, with each time a date_time entity; a
vote's notice in the tapper's chat's; the decision's messages in each recipient's own; and dates typed
in the group's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import i18n
from tests.bot.conftest import BotHarness

RUSSIAN_LINE = "/poll Настолки | 2031-12-05 19:00 | 2031-12-06 15:00 | до 2031-12-04 20:00"


@pytest.fixture(autouse=True)
def _english_default():
    yield
    i18n.set_default("en")


async def _russian_group(harness: BotHarness, admin: dict, group: dict) -> None:
    harness.fake.set_member(group, admin, "administrator")
    await harness.send(admin, group, "/language")
    await harness.tap(admin, harness.last(group), "lg:ru")


def _current(harness: BotHarness, chat: dict, card: dict) -> dict:
    return next(m for m in harness.fake.messages_in(chat) if m["message_id"] == card["message_id"])


def _times(message: dict) -> list[tuple[int, str]]:
    return [
        (entity["unix_time"], entity.get("date_time_format", ""))
        for entity in message.get("entities", [])
        if entity["type"] == "date_time"
    ]


def _link(card: dict) -> str:
    markup = card.get("reply_markup") or {}
    urls = [button.get("url", "") for row in markup.get("inline_keyboard", []) for button in row]
    return next(url for url in urls if "start=m_" in url).rsplit("m_", 1)[1]


def _unix(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())


async def test_a_poll_in_a_russian_group_reads_russian_with_each_time_an_entity(
    harness: BotHarness, alice, bob, group
):
    await _russian_group(harness, bob, group)
    await harness.send(alice, group, RUSSIAN_LINE)  # "до" is the Russian "closes"
    card = harness.card_in(group)
    assert "Когда вам удобно?" in card["text"]
    assert "пт, 5 дек., 19:00" in card["text"] and "сб, 6 дек., 15:00" in card["text"]
    assert "⏳ Закроется чт, 4 дек., 20:00" in card["text"]
    assert "When can you make it" not in card["text"]
    # Paris is UTC+1 in December: each time and the deadline carry their instant for the reader's app.
    assert _times(card) == [
        (_unix(2031, 12, 5, 18, 0), "wDt"),
        (_unix(2031, 12, 6, 14, 0), "wDt"),
        (_unix(2031, 12, 4, 19, 0), "wDt"),
    ]
    # Buttons carry no entities: plain text in the poll's zone, in Russian.
    assert [b["text"] for b in harness.buttons(card)][:2] == ["1. пт, 5 дек., 19:00", "2. сб, 6 дек., 15:00"]
    await harness.tap(bob, card, harness.button(card, "1. ")["callback_data"])
    assert harness.fake.callback_answers[-1]["text"] == "пт, 5 дек., 19:00: да"
    edited = _current(harness, group, card)["text"]  # re-rendered by card sync, in the group's language
    assert "✅ Bob" in edited and "Когда вам удобно?" in edited and "⭐" in edited


async def test_a_poll_in_a_russian_group_reads_russian_dates(harness: BotHarness, alice, bob, group):
    await _russian_group(harness, bob, group)
    await harness.send(alice, group, "/poll Настолки | пт 19:00 | сб 15:00")
    card = harness.card_in(group)
    assert "Настолки" in card["text"] and "Когда вам удобно?" in card["text"]
    assert "1. пт, " in card["text"] and "2. сб, " in card["text"]
    await harness.send(alice, group, "/poll Настолки | пт 19:00 | когда-нибудь")
    assert "Вариант 2:" in harness.last(group)["text"]


async def test_closing_a_russian_groups_poll_tells_each_voter_in_their_own_language(
    harness: BotHarness, alice, bob, group
):
    ivan = harness.fake.add_user("Ivan", "ivan", language_code="ru")
    sofia = harness.fake.add_user("Sofia", "sofia", language_code="es")
    for person in (bob, ivan, sofia):
        await harness.send(person, person, "/start")  # each opened the bot in their app's language
    await _russian_group(harness, alice, group)
    await harness.send(alice, group, RUSSIAN_LINE)
    card = harness.card_in(group)
    saturday = harness.button(card, "2. ")["callback_data"]
    for person in (bob, ivan, sofia):
        await harness.tap(person, card, saturday)
    await harness.send(alice, group, f"/closepoll {_link(card)} 2")
    assert any(said.startswith("✅ Решено: Настолки") for said in harness.said(group))
    decided = _current(harness, group, card)
    assert "✅ Решено: сб, 6 дек. 2031" in decided["text"] and not harness.buttons(decided)
    assert _times(decided) == [(_unix(2031, 12, 6, 14, 0), "wDt")]
    event_card = harness.card_in(group)
    assert "✅ Идут (3)" in event_card["text"]
    assert "You said yes, so you're going." in harness.last(bob)["text"]
    assert "Вы ответили «да», поэтому вы идёте." in harness.last(ivan)["text"]
    with i18n.use("es"):
        spanish = i18n._("You said yes, so you're going.")
    assert spanish != "You said yes, so you're going.", "the Spanish catalog lacks this sentence"
    assert spanish in harness.last(sofia)["text"]
    assert _times(harness.last(sofia)) == [(_unix(2031, 12, 6, 14, 0), "wDt")]


async def test_my_events_marks_a_poll_and_its_edit_menu_offers_the_title_only(harness: BotHarness, alice):
    await harness.send(alice, alice, "/poll Board games | 2031-12-05 19:00 | 2031-12-06 15:00")
    link = harness.link_of(harness.card_in(alice))
    await harness.send(alice, alice, "/myevents")
    assert "📊 Poll: Board games, from Fri 5 Dec 2031, 19:00" in harness.last(alice)["text"]
    await harness.send(alice, alice, f"/start m_{link}")
    await harness.tap(alice, harness.last(alice), f"ep:{link}")
    assert [b["text"] for b in harness.buttons(harness.last(alice))] == ["Title"]


async def test_a_time_taken_off_an_english_groups_poll_is_told_to_its_voter_in_russian(
    harness: BotHarness, alice, group
):
    ivan = harness.fake.add_user("Ivan", "ivan", language_code="ru")
    await harness.send(ivan, ivan, "/start")
    await harness.send(alice, group, "/poll Games | 2031-12-05 19:00 | 2031-12-06 15:00 | 2031-12-07 11:00")
    card = harness.card_in(group)
    await harness.tap(ivan, card, harness.button(card, "1. ")["callback_data"])
    assert harness.fake.callback_answers[-1]["text"] == "Fri 5 Dec, 19:00: yes"  # the group's language
    link = _link(card)
    await harness.send(alice, group, f"/editpoll {link} options 2031-12-06 15:00 | 2031-12-07 11:00")
    assert "The votes of 1 person on times taken off were dropped" in harness.last(group)["text"]
    assert "организатор изменил варианты" in harness.last(ivan)["text"]
