"""Card work in the database: made by every change, claimed once, rested, retried, given up on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core import attendance, budgets, cards, service
from core.access import Requester
from core.events import GOING
from tests.integration.actions import edit

CREATOR = 1001
OWNER = Requester(CREATOR)
NOW = datetime.now(UTC).replace(microsecond=0)
REST = timedelta(seconds=3)


async def make(uow_factory, title: str = "Dinner") -> str:
    created = await service.create_event(
        uow_factory(),
        title=title,
        when=NOW + timedelta(days=3),
        timezone="UTC",
        creator_user_id=CREATOR,
        rounds=4,
        now=NOW,
    )
    return created.event.link_id


async def post(uow_factory, link: str, chat_id: int, message_id: int) -> None:
    event = await service.get_event(uow_factory(), link)
    await cards.record_card(
        uow_factory(), link, chat_id=chat_id, message_id=message_id, version=event.card_version
    )


def shown(work: cards.CardWork) -> list[cards.CardOutcome]:
    return [cards.CardOutcome(card.card_id, shown=True) for card in work.cards]


async def test_a_new_card_is_up_to_date_and_a_change_makes_every_copy_due(uow_factory):
    link = await make(uow_factory)
    await post(uow_factory, link, -100, 1)
    await post(uow_factory, link, 55, 2)
    assert (await cards.claim_stale(uow_factory(), now=NOW)).work == []
    await edit(uow_factory(), link, OWNER, "title", "Supper", now=NOW)
    [work] = (await cards.claim_stale(uow_factory(), now=NOW)).work
    assert work.event.title == "Supper"
    assert sorted(card.ref.chat_id for card in work.cards) == [-100, 55]


async def test_an_answer_makes_cards_due_but_not_the_events_calendar_sequence(uow_factory):
    link = await make(uow_factory)
    await post(uow_factory, link, -100, 1)
    before = await service.get_event(uow_factory(), link)
    await attendance.respond(uow_factory(), link, user_id=7, name="Ann", answer=GOING, now=NOW)
    [work] = (await cards.claim_stale(uow_factory(), now=NOW)).work
    assert [a.name for a in work.event.rsvps.going] == ["Ann"]
    assert work.event.sequence == before.sequence  # an answer is not a new version of the event itself


async def test_reminders_are_not_on_cards_so_changing_them_edits_none(uow_factory):
    link = await make(uow_factory)
    await post(uow_factory, link, -100, 1)
    await edit(uow_factory(), link, OWNER, "reminders", "2h", now=NOW)
    assert (await cards.claim_stale(uow_factory(), now=NOW)).work == []


async def test_claimed_work_is_leased_to_one_process_and_taken_over_when_the_lease_ends(uow_factory):
    link = await make(uow_factory)
    await post(uow_factory, link, -100, 1)
    await edit(uow_factory(), link, OWNER, "title", "Supper", now=NOW)
    assert (await cards.claim_stale(uow_factory(), now=NOW)).work
    assert (await cards.claim_stale(uow_factory(), now=NOW + timedelta(seconds=5))).work == []
    # The process that claimed it died: after the lease, another takes it over.
    [work] = (await cards.claim_stale(uow_factory(), now=NOW + cards.SYNC_LEASE + timedelta(seconds=1))).work
    assert work.event.title == "Supper"


async def test_after_an_edit_the_cards_rest_and_changes_meanwhile_come_in_one_more_edit(uow_factory):
    link = await make(uow_factory)
    await post(uow_factory, link, -100, 1)
    await edit(uow_factory(), link, OWNER, "title", "Supper", now=NOW)
    [work] = (await cards.claim_stale(uow_factory(), now=NOW)).work
    await cards.finish(uow_factory(), work, shown(work), rest=REST, now=NOW)
    for title in ("Lunch", "Brunch", "Tea"):
        await edit(uow_factory(), link, OWNER, "title", title, now=NOW + timedelta(seconds=1))
    resting = await cards.claim_stale(uow_factory(), now=NOW + timedelta(seconds=2))
    assert resting.work == [] and resting.next_due == NOW + REST
    [again] = (await cards.claim_stale(uow_factory(), now=NOW + REST)).work
    assert again.event.title == "Tea"
    await cards.finish(uow_factory(), again, shown(again), rest=REST, now=NOW + REST)
    # Rested with nothing new: the work is done and gone.
    assert (await cards.claim_stale(uow_factory(), now=NOW + 2 * REST)).work == []
    assert (await cards.claim_stale(uow_factory(), now=NOW + 3 * REST)).next_due is None


async def test_a_failed_copy_is_retried_with_growing_pauses_and_given_up_on_at_last(uow_factory):
    link = await make(uow_factory)
    await post(uow_factory, link, -100, 1)
    await post(uow_factory, link, -200, 2)
    await edit(uow_factory(), link, OWNER, "title", "Supper", now=NOW)
    moment = NOW
    pauses = []
    for attempt in range(cards.MAX_FAILURES):
        [work] = (await cards.claim_stale(uow_factory(), now=moment)).work
        failing = [c for c in work.cards if c.ref.chat_id == -200]
        outcomes = [cards.CardOutcome(c.card_id, shown=c.ref.chat_id == -100) for c in work.cards]
        given_up = await cards.finish(uow_factory(), work, outcomes, rest=timedelta(0), now=moment)
        assert [c.ref.chat_id for c in work.cards] == ([-100, -200] if attempt == 0 else [-200])
        assert len(failing) == 1
        if attempt == cards.MAX_FAILURES - 1:
            assert [c.ref.chat_id for c in given_up] == [-200]
            break
        due = (await cards.claim_stale(uow_factory(), now=moment)).next_due
        pauses.append(due - moment)
        moment = due
    assert pauses == sorted(pauses) and pauses[0] == cards.RETRY_FIRST and pauses[-1] <= cards.RETRY_MAX
    assert [c.chat_id for c in await cards.posted_cards(uow_factory(), link)] == [-100]


async def test_a_copy_that_is_gone_is_forgotten_and_one_that_moved_follows(uow_factory):
    link = await make(uow_factory)
    await post(uow_factory, link, -100, 1)
    await post(uow_factory, link, -200, 2)
    await edit(uow_factory(), link, OWNER, "title", "Supper", now=NOW)
    [work] = (await cards.claim_stale(uow_factory(), now=NOW)).work
    gone, moved = work.cards
    await cards.finish(
        uow_factory(),
        work,
        [
            cards.CardOutcome(gone.card_id, gone=True),
            cards.CardOutcome(moved.card_id, shown=True, moved_to=-300),
        ],
        rest=timedelta(0),
        now=NOW,
    )
    assert [(c.chat_id, c.message_id) for c in await cards.posted_cards(uow_factory(), link)] == [(-300, 2)]


async def test_two_processes_claiming_at_once_never_take_the_same_event(committing_uow_factory):
    links = [await make(committing_uow_factory, f"Event {i}") for i in range(12)]
    for i, link in enumerate(links):
        await post(committing_uow_factory, link, -100 - i, 1)
        await edit(committing_uow_factory(), link, OWNER, "title", f"Changed {i}", now=NOW)
    claims = await asyncio.gather(
        *(cards.claim_stale(committing_uow_factory(), now=NOW, limit=5) for _ in range(4))
    )
    titles = [work.event.title for claimed in claims for work in claimed.work]
    assert len(titles) == len(set(titles)) == 12


async def test_a_groups_budget_is_shared_ten_at_once_then_one_every_six_seconds(uow_factory):
    now = 1_000_000.0
    slots = [
        await budgets.reserve_group_slot(uow_factory(), -100, now=now, interval=6.0, burst=10)
        for _ in range(14)
    ]
    assert slots[:10] == [now] * 10
    assert slots[10:] == [now + 6, now + 12, now + 18, now + 24]
    # Another group has its own budget; and a minute later this one has room again.
    assert await budgets.reserve_group_slot(uow_factory(), -200, now=now, interval=6.0, burst=10) == now
    later = now + 120
    assert await budgets.reserve_group_slot(uow_factory(), -100, now=later, interval=6.0, burst=10) == later


async def test_processes_that_stop_saying_they_are_alive_no_longer_share_the_budget(uow_factory):
    silent = timedelta(seconds=30)
    assert await budgets.heartbeat(uow_factory(), "a", now=NOW, silent_after=silent) == 1
    assert await budgets.heartbeat(uow_factory(), "b", now=NOW, silent_after=silent) == 2
    assert (
        await budgets.heartbeat(uow_factory(), "a", now=NOW + timedelta(seconds=40), silent_after=silent) == 1
    )
    await budgets.leave(uow_factory(), "a")
    assert (
        await budgets.heartbeat(uow_factory(), "c", now=NOW + timedelta(seconds=41), silent_after=silent) == 1
    )
