"""Every posted copy of a card follows the event, through failures of each copy and of the database."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core import cards
from core.errors import DatabaseUnavailable
from tests.bot.conftest import BotHarness, running_bot
from tests.bot.test_view import make_event
from tests.support.fake_telegram import FakeTelegram


def edits_of(harness: BotHarness, message: dict) -> int:
    return sum(
        1
        for call in harness.fake.calls("editMessageText")
        if call.params.get("message_id") == message["message_id"] and call.status == 200
    )


def current(harness: BotHarness, chat: dict, message: dict) -> dict:
    return next(m for m in harness.fake.messages_in(chat) if m["message_id"] == message["message_id"])


async def test_a_copy_in_a_group_that_became_a_supergroup_is_followed_and_stops_no_other(
    harness: BotHarness, alice, bob
):
    """Issue 10.5: a ChatMigrated answer for one card left every other copy stale."""
    basic = harness.fake.add_group("Old basic group", supergroup=False)
    other = harness.fake.add_group("Friends")
    for chat in (basic, other):
        harness.fake.set_member(chat, alice)
        harness.fake.set_member(chat, bob)
    link = await make_event(harness, alice, basic)
    first = harness.card_in(basic)
    await harness.send(bob, other, f"/event {link}")
    second = harness.card_in(other)
    supergroup = harness.fake.upgrade_to_supergroup(basic)
    await harness.send(alice, other, f"/editevent {link} title Pasta night")
    assert "Pasta night" in current(harness, other, second)["text"]
    assert "Pasta night" in current(harness, supergroup, first)["text"]
    await harness.send(alice, other, f"/editevent {link} place Luigi's")
    assert "Luigi's" in current(harness, supergroup, first)["text"]
    assert not [c for c in harness.fake.calls("editMessageText") if c.params.get("chat_id") == basic["id"]][
        1:
    ]


async def test_a_deleted_copy_is_forgotten_and_the_others_still_follow(
    harness: BotHarness, alice, bob, group
):
    link = await make_event(harness, alice, group)
    await harness.send(bob, bob, f"/start {link}")
    private = harness.card_in(bob)
    harness.fake.admin_deletes(group, harness.card_in(group)["message_id"])
    await harness.send(alice, group, f"/editevent {link} title Pasta night")
    assert "Pasta night" in current(harness, bob, private)["text"]
    async with harness.app.bot_data.uow() as uow:
        assert [card.chat_id for card in await uow.cards.for_link(link)] == [bob["id"]]


async def test_a_failed_edit_is_retried_after_a_pause_and_ends_on_the_latest_state(
    harness: BotHarness, alice, group
):
    link = await make_event(harness, alice, group)
    card = harness.card_in(group)
    harness.fake.fail_next("editMessageText", 502)
    await harness.send(alice, group, f"/editevent {link} title Pasta night")
    assert "Pizza night" in current(harness, group, card)["text"]  # the edit failed; it waits to retry
    await harness.send(alice, group, f"/editevent {link} place Luigi's")
    await asyncio.sleep(cards.RETRY_FIRST.total_seconds() + 0.1)
    await harness.pump()
    assert "Pasta night" in current(harness, group, card)["text"]
    assert "Luigi's" in current(harness, group, card)["text"]


@pytest.fixture
async def resting(
    fake: FakeTelegram, tmp_path: Path, migrated_sqlite_template: Path
) -> AsyncIterator[BotHarness]:
    """The bot with a rest between two edits of one card, as deployed (1 s here, to keep tests short)."""
    db = tmp_path / "bot.db"
    shutil.copy(migrated_sqlite_template, db)
    async with running_bot(fake, db, card_edit_interval_seconds=1.0) as harness:
        yield harness


async def test_a_burst_of_answers_is_folded_into_two_edits_and_the_last_state_wins(
    resting: BotHarness, alice, group
):
    harness = resting
    await make_event(harness, alice, group)
    card = harness.card_in(group)
    for i in range(12):
        person = harness.fake.add_user(f"P{i}", f"p{i}")
        harness.fake.set_member(group, person)
        await harness.tap(person, card, harness.button(card, "Going")["callback_data"])
    assert edits_of(harness, card) == 1  # the first answer at once; the others wait out the rest
    await asyncio.sleep(1.1)
    await harness.pump()
    assert edits_of(harness, card) == 2
    assert "✅ Going (12)" in current(harness, group, card)["text"]


async def test_a_database_outage_pauses_card_edits_with_one_warning_and_they_happen_after(
    harness: BotHarness, alice, group, caplog, monkeypatch
):
    link = await make_event(harness, alice, group)
    card = harness.card_in(group)
    data = harness.app.bot_data
    real_claim = cards.claim_stale
    down = True

    async def claim(*args, **kwargs):
        if down:
            raise DatabaseUnavailable()
        return await real_claim(*args, **kwargs)

    monkeypatch.setattr(cards, "claim_stale", claim)
    harness.fake.user_sends(alice, group, f"/editevent {link} title Pasta night")
    for raw in harness.fake.take_updates():
        await harness.app.process_update(__import__("telegram").Update.de_json(raw, harness.app.bot))
    with caplog.at_level(logging.INFO, logger="bot.card_sync"):
        data.card_sync.start(harness.app.bot)
        await asyncio.sleep(0.3)
        assert "Pizza night" in current(harness, group, card)["text"]
        down = False
        data.card_sync.kick()
        for _ in range(50):
            if "Pasta night" in current(harness, group, card)["text"]:
                break
            await asyncio.sleep(0.1)
        await data.card_sync.stop(2)
    assert "Pasta night" in current(harness, group, card)["text"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "database is unavailable" in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
