"""The bot as a real process, in Russian and in Spanish: a group chooses its language, and create, view,
answer, edit, a reminder, an error and delete all read in it, without one English sentence.

The expected words come from the catalogs themselves (``bot.texts`` in the language), so the test
checks that every step is translated, not one translation's wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot import i18n, i18n_check, poll_texts, texts
from tests.e2e.world import Database, World, link_of

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
REMINDER_POLL_SECONDS = 0.5
# Per language: how its people write the date, a title and a place, and how its card shows the date.
FLOWS = {
    "ru": ("5 декабря 2031 19:30", "Шашлыки на даче", "Дача у реки", "пт, 5 дек. 2031"),
    "es": ("5 de diciembre de 2031 19:30", "Paella en la playa", "Playa del Carmen", "vie, 5 dic 2031"),
}
MIN_WORDS = 4


@pytest.fixture(scope="module")
def bot_settings() -> dict[str, str]:
    return {"REMINDER_POLL_SECONDS": str(REMINDER_POLL_SECONDS), "CARD_EDIT_INTERVAL_SECONDS": "0.2"}


@contextmanager
def speaking(language: str) -> Iterator[None]:
    with i18n.use(language):
        yield


def english_sentences() -> set[str]:
    """Every run of at least MIN_WORDS English words in the source messages, without what a
    translation may keep as it is: commands and examples in <code>, <i> or quotes."""
    with (ROOT / "bot/locales/messages.pot").open("rb") as pot:
        ids = [m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id]
    found = set()
    for source in ids:
        source = re.sub(r"<(code|i)>.*?</\1>|“[^”]*”|/\w+", " ", source, flags=re.DOTALL)
        for piece in re.split(r"\{\w*\}|[\n.:;,()?!·|—–]", texts.plain(source)):
            words = re.findall(r"[A-Za-z']+", piece)
            if len(words) >= MIN_WORDS:
                found.add(" ".join(words))
    return found


def _complete(language: str) -> bool:
    return not any("not translated" in problem for problem in i18n_check.problems(language))


@pytest.mark.parametrize(
    "language",
    [
        pytest.param(
            language,
            marks=pytest.mark.skipif(
                not _complete(language), reason=f"the {language} catalog is not translated yet"
            ),
        )
        for language in FLOWS
    ],
)
async def test_the_main_flows_speak_the_groups_language(world: World, db: Database, language: str):
    when, title, place, date_shown = FLOWS[language]
    with speaking(language):
        going, yes_cancel = texts.GOING_BUTTON, texts.DELETE_YES
        answered, updated = texts.RSVP_ANSWERED["going"], texts.UPDATED_IN_GROUP
        going_line = f"✅ {texts.GOING_LABEL} (1): "
    anna = await world.user(
        "Анна" if language == "ru" else "Ana", opened_the_bot=True, language_code=language
    )
    beto = await world.user(
        "Борис" if language == "ru" else "Beto", opened_the_bot=True, language_code=language
    )
    group = await world.group("Amigos", anna, beto)
    await world.tg.set_member(group, anna, "administrator")

    # The group's admin chooses its language.
    menu = await world.says(anna, group, "/language", expect="🌐")
    await world.tap(anna, menu, i18n.LANGUAGES[language])
    with speaking(language):
        chosen = texts.plain(texts.LANGUAGE_SET.format(language=i18n.LANGUAGES[language]))
    await world.reply_in(group, chosen)  # the menu, edited in place

    # Create: the date typed in the language; the card and the secret code in it.
    card = await world.says(anna, group, f"/newevent {when} | {title} | {place}", expect=title)
    assert date_shown in card["text"] and place in card["text"]
    link = link_of(card)
    await world.reply_in(anna, "🔑")

    # View, in a private chat.
    viewed = await world.says(beto, beto, f"/event {link}", expect=title)
    assert date_shown in viewed["text"]

    # Answer: the tap's notice and the card, in the language.
    tap = await world.tap(beto, card, going)

    async def notice() -> str | None:
        for answer in await world.tg.callback_answers():
            if answer["callback_query_id"] == tap["id"]:
                return str(answer.get("text", ""))
        return None

    assert await world.eventually(notice, "the answer's notice") == answered
    await world.eventually(
        lambda: _card_reads(world, card, going_line + beto["first_name"]), "the card to show the answer"
    )

    # Edit.
    new_title = title + " 2"
    edit = await world.send(anna, group, f"/editevent {link} title {new_title}")
    await world.reply_in(group, updated, after=edit)
    await world.eventually(lambda: _card_reads(world, card, new_title), "the card to show the new title")

    # A reminder, in the group and to those going.
    moved = await db.execute(
        "UPDATE reminders SET due_at = now() - interval '1 second' "
        "WHERE event_id = (SELECT id FROM events WHERE link_id = :link) AND minutes_before = 1440",
        link=link,
    )
    assert moved == 1
    await world.reply_in(group, "⏰")
    await world.reply_in(beto, "⏰")

    # An error.
    bad = await world.send(anna, group, "/newevent ??? | " + title)
    await world.reply_in(group, "⚠️", after=bad)

    # Delete.
    confirm = await world.says(anna, group, f"/deleteevent {link}", expect=new_title)
    await world.tap(anna, confirm, yes_cancel)
    with speaking(language):
        deleted = texts.plain(texts.DELETED.format(title=new_title))
    await world.reply_in(group, deleted)  # the question, answered in place

    said = [*await world.texts(group), *await world.texts(anna), *await world.texts(beto)]
    english = english_sentences()
    assert len(english) > 100
    leaks = sorted({sentence for text in said for sentence in english if sentence in text})
    assert leaks == [], f"English in the {language} flows: {leaks}"
    world.assert_log_keeps_secrets()


async def _card_reads(world: World, card: dict, line: str) -> bool:
    for message in await world.cards(card["chat"]):
        if message["message_id"] == card["message_id"] and line in message["text"]:
            return True
    return False


# Per language: a poll's two times and its deadline as its people write them.
POLL_FLOWS = {
    "ru": ("5 декабря 2031 19:30", "6 декабря 2031 15:00", "4 декабря 2031 20:00"),
    "es": ("5 de diciembre de 2031 19:30", "6 de diciembre de 2031 15:00", "4 de diciembre de 2031 20:00"),
}


@pytest.mark.parametrize(
    "language",
    [
        pytest.param(
            language,
            marks=pytest.mark.skipif(
                not _complete(language), reason=f"the {language} catalog is not translated yet"
            ),
        )
        for language in POLL_FLOWS
    ],
)
async def test_a_poll_speaks_the_groups_language(world: World, language: str):
    first, second, deadline = POLL_FLOWS[language]
    _when, title, _place, date_shown = FLOWS[language]
    with speaking(language):
        closes, yes = poll_texts.CLOSES_WORD, poll_texts.VOTE_ANSWERS["yes"]
        prompt = texts.plain(poll_texts.CARD_PROMPT)
    anna = await world.user(
        "Анна" if language == "ru" else "Ana", opened_the_bot=True, language_code=language
    )
    beto = await world.user(
        "Борис" if language == "ru" else "Beto", opened_the_bot=True, language_code=language
    )
    group = await world.group("Amigos", anna, beto)
    await world.tg.set_member(group, anna, "administrator")
    menu = await world.says(anna, group, "/language", expect="🌐")
    await world.tap(anna, menu, i18n.LANGUAGES[language])
    with speaking(language):
        chosen = texts.plain(texts.LANGUAGE_SET.format(language=i18n.LANGUAGES[language]))
    await world.reply_in(group, chosen)  # the menu, edited in place

    # Ask: the times and the deadline typed in the language; the card and the secret code in it.
    card = await world.says(
        anna, group, f"/poll {title} | {first} | {second} | {closes} {deadline}", expect=prompt
    )
    assert date_shown[:6] in card["text"]
    link = link_of(card)
    await world.reply_in(anna, "🔑")

    # Vote: the notice in the language.
    tap = await world.tap(beto, card, "2. ")

    async def notice() -> str | None:
        for answer in await world.tg.callback_answers():
            if answer["callback_query_id"] == tap["id"]:
                return str(answer.get("text", ""))
        return None

    assert (await world.eventually(notice, "the vote's notice")).endswith(f": {yes}")

    # Decide: the reply, the poll's card, the event's card and the voter's message, in the language.
    close = await world.send(anna, group, f"/closepoll {link} 2")
    await world.reply_in(group, "✅", after=close)
    await world.reply_in(group, "📅", after=close)  # the event's card
    await world.reply_in(beto, "📅")

    async def decided() -> bool:
        for message in await world.cards(card["chat"]):
            if message["message_id"] == card["message_id"]:
                return prompt not in message["text"]
        return False

    await world.eventually(decided, "the poll's card to say it is decided")
    said = [*await world.texts(group), *await world.texts(anna), *await world.texts(beto)]
    leaks = sorted({sentence for text in said for sentence in english_sentences() if sentence in text})
    assert leaks == [], f"English in the {language} poll: {leaks}"
