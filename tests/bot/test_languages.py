"""Languages: /language in private chats and groups, cards in the group's language, DMs in the
recipient's, the command menu per language, and dates typed in the chat's language."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import i18n
from core import chat_settings
from tests.bot.conftest import BotHarness, running_bot

PARIS = ZoneInfo("Europe/Paris")


def _link(card: dict) -> str:
    urls = [button.get("url", "") for row in card["reply_markup"]["inline_keyboard"] for button in row]
    return next(url for url in urls if "start=m_" in url).rsplit("m_", 1)[1]


def _tomorrow() -> datetime:
    return datetime.now(PARIS).replace(hour=19, minute=0, second=0, microsecond=0) + timedelta(days=1)


@pytest.fixture
def ivan(fake) -> dict:
    return fake.add_user("Ivan", "ivan", language_code="ru")


@pytest.fixture(autouse=True)
def _english_default():
    yield
    i18n.set_default("en")


async def _set_group_language(harness: BotHarness, admin: dict, group: dict, language: str) -> None:
    harness.fake.set_member(group, admin, "administrator")
    await harness.send(admin, group, "/language")
    await harness.tap(admin, harness.last(group), f"lg:{language}")


async def test_a_private_chat_speaks_the_persons_telegram_language(harness: BotHarness, ivan):
    await harness.send(ivan, ivan, "/help")
    assert "создаёт события" in harness.last(ivan)["text"]
    await harness.send(ivan, ivan, "/myevents")
    assert harness.last(ivan)["text"] == "У вас нет предстоящих событий. Создайте событие командой /newevent."


async def test_language_in_a_private_chat_changes_the_persons_own_language(harness: BotHarness, alice):
    await harness.send(alice, alice, "/language")
    menu = harness.last(alice)
    assert "This chat's language is English" in menu["text"]
    assert {button["text"] for button in harness.buttons(menu)} >= {
        "● English",
        "Русский",
        "Español",
        "فارسی",
    }
    await harness.tap(alice, menu, "lg:es")
    assert "Español" in harness.last(alice)["text"]
    await harness.send(alice, alice, "/myevents")
    assert harness.last(alice)["text"].startswith("No tienes") or "/newevent" in harness.last(alice)["text"]
    await harness.send(alice, alice, "/language")
    assert "● Español" in [button["text"] for button in harness.buttons(harness.last(alice))]


async def test_only_a_groups_admins_change_its_language(harness: BotHarness, alice, bob, group):
    harness.fake.set_member(group, alice, "administrator")
    await harness.send(bob, group, "/language")
    menu = harness.last(group)
    await harness.tap(bob, menu, "lg:ru")
    assert "Only the group's admins can change its language." in harness.fake.callback_answers[-1]["text"]
    await harness.send(bob, group, "/help")
    assert "makes events you can share" in harness.last(group)["text"]  # nothing changed
    await harness.tap(alice, menu, "lg:ru")
    assert "🌐 Язык: Русский." in harness.said(group)  # the menu, edited in place
    await harness.send(bob, group, "/help")  # Bob's app is in English; the group reads Russian
    assert "создаёт события" in harness.last(group)["text"]


async def test_a_group_card_is_in_the_groups_language_and_its_code_dm_in_the_creators(
    harness: BotHarness, alice, bob, group
):
    await _set_group_language(harness, bob, group, "ru")
    await harness.send(alice, alice, "/start")  # Alice (English) has opened the bot before
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Pizza | Mario's")
    card = harness.card_in(group)
    assert "пт, 5 дек. 2031\u202fг., 19:30 CET (Europe/Paris)" in card["text"]
    assert {button["text"] for button in harness.buttons(card)} >= {"✅ Иду", "🤔 Может быть", "❌ Не смогу"}
    assert "Secret code for Pizza" in harness.last(alice)["text"]
    # A tap, and the edit of the card that follows, keep the group's language.
    await harness.tap(alice, card, f"rv:g:{_link(card)}")
    assert harness.fake.callback_answers[-1]["text"] == "Вы идёте ✅"
    assert "✅ Идут (1): Alice" in harness.card_in(group)["text"]


async def test_a_dm_goes_out_in_the_recipients_language(harness: BotHarness, alice, ivan, group):
    harness.fake.set_member(group, ivan)
    await harness.send(ivan, ivan, "/start")
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Pizza")
    card = harness.card_in(group)
    link = _link(card)
    await harness.send(alice, group, f"/editevent {link} seats 1")
    await harness.tap(alice, harness.card_in(group), f"rv:g:{link}")
    await harness.tap(ivan, harness.card_in(group), f"rv:g:{link}")  # full: Ivan waits
    assert "Going (1/1): Alice" in harness.card_in(group)["text"]  # the group reads English
    await harness.tap(alice, harness.card_in(group), f"rv:n:{link}")
    assert "Освободилось место: теперь вы идёте на Pizza" in harness.last(ivan)["text"]


async def test_the_command_menu_is_set_in_every_language(harness: BotHarness):
    private = {"type": "all_private_chats"}
    groups = {"type": "all_group_chats"}
    assert harness.fake.commands(private)[0]["description"] == "Create an event"
    assert harness.fake.commands(private, language_code="ru")[0]["description"] == "Создать событие"
    assert harness.fake.commands(groups, language_code="en")[0]["description"].startswith("Create an event")
    for code in ("ru", "es", "pt", "de", "fa"):
        names = [command["command"] for command in harness.fake.commands(private, language_code=code)]
        assert "language" in names and "newevent" in names


async def test_newevent_reads_russian_dates_in_a_russian_group(harness: BotHarness, alice, bob, group):
    await _set_group_language(harness, bob, group, "ru")
    await harness.send(alice, group, "/newevent завтра в 19:00 | Шашлыки")
    card = harness.card_in(group)
    assert f'unix="{int(_tomorrow().timestamp())}"' in card["html"]
    assert "Шашлыки" in card["text"]


async def test_newevent_reads_spanish_dates_in_a_spanish_group(harness: BotHarness, alice, bob, group):
    await _set_group_language(harness, bob, group, "es")
    await harness.send(alice, group, "/newevent mañana 19:00 | Paella")
    assert f'unix="{int(_tomorrow().timestamp())}"' in harness.card_in(group)["html"]


async def test_a_date_not_understood_is_refused_in_the_chats_language(harness: BotHarness, alice, bob, group):
    await _set_group_language(harness, bob, group, "ru")
    await harness.send(alice, group, "/newevent когда-нибудь | Шашлыки")
    reply = harness.last(group)["text"]
    assert "Не понял «когда-нибудь» как дату и время" in reply
    assert not any("🔗" in text for text in harness.said(group))


async def test_the_default_language_serves_groups_that_chose_none(fake, tmp_path, migrated_sqlite_template):
    db = tmp_path / "bot.db"
    shutil.copy(migrated_sqlite_template, db)
    alice = fake.add_user("Alice", "alice")
    group = fake.add_group("Amigos")
    fake.set_member(group, alice)
    async with running_bot(fake, db, default_language="es") as harness:
        await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Paella")
        assert "Paella" in harness.card_in(group)["text"]
        assert "vie, 5 dic 2031" in harness.card_in(group)["text"]
        # The menu of people whose app is in a language the bot lacks: the default language's.
        private = {"type": "all_private_chats"}
        assert harness.fake.commands(private) == harness.fake.commands(private, language_code="es")


async def test_a_card_shows_its_start_as_a_date_time_entity(harness: BotHarness, alice, group):
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Pizza")
    card = harness.card_in(group)
    start = int(datetime(2031, 12, 5, 18, 30, tzinfo=UTC).timestamp())
    formats = [
        (entity["unix_time"], entity.get("date_time_format"))
        for entity in card.get("entities", [])
        if entity["type"] == "date_time"
    ]
    assert formats == [(start, "wDt"), (start, "r")]


async def test_a_language_chosen_through_another_process_arrives_with_the_next_refresh(
    harness: BotHarness, alice, group
):
    data = harness.app.bot_data
    # Another process stored the choice: this one reads it when it next looks (each heartbeat).
    await chat_settings.set_chat_language(data.uow(), group["id"], "de")
    await harness.send(alice, group, "/help")
    assert "makes events you can share" in harness.last(group)["text"]
    await data.languages.refresh(data)
    await harness.send(alice, group, "/help")
    assert "makes events you can share" not in harness.last(group)["text"]
    assert data.languages.of_chat(group["id"]) == "de"


async def test_a_persons_telegram_language_is_kept_for_messages_sent_to_them_later(harness: BotHarness, ivan):
    data = harness.app.bot_data
    await harness.send(ivan, ivan, "/start")
    fresh = type(data.languages)()  # another process, which never saw Ivan
    assert await fresh.of_chats(data, [ivan["id"]]) == {ivan["id"]: "ru"}


async def test_language_with_a_code_sets_it_at_once_for_admins_only(harness: BotHarness, alice, bob, group):
    harness.fake.set_member(group, alice, "administrator")
    await harness.send(bob, group, "/language pt-BR")
    assert harness.last(group)["text"] == "Only the group's admins can change its language."
    await harness.send(alice, group, "/language pt-BR")
    assert "Português (Brasil)" in harness.last(group)["text"]
    assert harness.app.bot_data.languages.of_chat(group["id"]) == "pt_BR"
    await harness.send(alice, group, "/language klingon")  # not a language it speaks: the menu
    assert len(harness.buttons(harness.last(group))) == len(i18n.LANGUAGES)


async def test_a_card_shared_inline_keeps_the_sharers_language_when_edited(
    harness: BotHarness, alice, ivan, group
):
    harness.fake.inline_feedback = True
    await harness.send(alice, group, "/newevent 2031-12-05 19:30 | Pizza")
    link = _link(harness.card_in(group))
    query = harness.fake.user_inline_query(ivan, link)
    await harness.pump()
    elsewhere = harness.fake.add_group("Друзья")
    harness.fake.set_member(elsewhere, ivan)
    harness.fake.user_picks_inline_result(ivan, query, link, elsewhere)
    await harness.pump()
    shared = harness.fake.messages_in(elsewhere)[-1]
    assert "пт, 5 дек. 2031" in shared["text"]
    await harness.send(alice, group, f"/editevent {link} title Pasta")
    [edited] = [m for m in harness.fake.messages_in(elsewhere) if m["message_id"] == shared["message_id"]]
    assert "Pasta" in edited["text"] and "пт, 5 дек. 2031" in edited["text"]
