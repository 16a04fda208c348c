"""Organizer controls in storage, on SQLite and PostgreSQL: ends, answer deadlines, guests, hidden
lists, who may create in a group, the first event's zone, and the list of answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import access, attendance, cards, chat_settings, service
from core.access import Requester
from core.errors import (
    AnswerFirst,
    AnswersClosed,
    GuestsNotAllowed,
    InvalidField,
    NoSeatForGuest,
    NotAllowed,
)
from core.events import GOING, MAYBE, NO, WAITING
from tests.integration.actions import edit

CREATOR = 1001
OWNER = Requester(CREATOR)
PARIS = "Europe/Paris"
START = datetime(2031, 12, 5, 18, 30, tzinfo=UTC)  # Fri 5 Dec 2031, 19:30 in Paris


async def make(uow, *, when: str | datetime = START, chat_id: int = -100, **fields) -> service.CreatedEvent:
    return await service.create_event(
        uow,
        title="Dinner",
        when=when,
        timezone=PARIS,
        creator_user_id=CREATOR,
        chat_id=chat_id,
        rounds=4,
        **fields,
    )


async def answer(uow, link, user, what, now=None):
    return await attendance.respond(uow, link, user_id=user, name=f"P{user}", answer=what, now=now)


async def test_an_event_made_with_a_range_keeps_its_end_and_an_edit_changes_or_clears_it(uow):
    created = await make(uow, when="2031-12-05 19:30-22:00")
    link = created.event.link_id
    assert created.event.ends_at == datetime(2031, 12, 5, 21, 0, tzinfo=UTC)
    assert (await edit(uow, link, OWNER, "end", "Sat 02:00")).ends_at == datetime(
        2031, 12, 6, 1, 0, tzinfo=UTC
    )
    assert (await edit(uow, link, OWNER, "end", "3h")).ends_at == START + timedelta(hours=3)
    assert (await edit(uow, link, OWNER, "end", "")).ends_at is None


async def test_an_end_before_the_start_is_refused_and_changes_nothing(uow):
    link = (await make(uow, when="2031-12-05 19:30-22:00")).event.link_id
    with pytest.raises(InvalidField) as refused:
        await edit(uow, link, OWNER, "end", "2031-12-04 10:00")
    assert (refused.value.field, refused.value.reason) == ("end", "end_before_start")
    assert (await service.get_event(uow, link)).ends_at == datetime(2031, 12, 5, 21, 0, tzinfo=UTC)


async def test_moving_an_event_keeps_its_length(uow):
    link = (await make(uow, when="2031-12-05 19:30-22:00")).event.link_id
    moved = await edit(uow, link, OWNER, "when", "2031-12-12 20:00")
    assert (moved.starts_at, moved.ends_at) == (
        datetime(2031, 12, 12, 19, 0, tzinfo=UTC),
        datetime(2031, 12, 12, 21, 30, tzinfo=UTC),
    )


async def test_answers_close_at_the_deadline_and_a_deadline_after_the_start_is_refused(uow):
    link = (await make(uow)).event.link_id
    with pytest.raises(InvalidField) as refused:
        await edit(uow, link, OWNER, "closes", "2031-12-06 10:00")
    assert (refused.value.field, refused.value.reason) == ("closes", "after_start")
    event = await edit(uow, link, OWNER, "closes", "2031-12-04 18:00")
    assert event.closes_at == datetime(2031, 12, 4, 17, 0, tzinfo=UTC)
    before = datetime(2031, 12, 4, 16, 59, tzinfo=UTC)
    after = datetime(2031, 12, 4, 17, 1, tzinfo=UTC)
    assert (await answer(uow, link, 7, GOING, now=before)).status == GOING
    with pytest.raises(AnswersClosed):
        await answer(uow, link, 8, GOING, now=after)
    with pytest.raises(AnswersClosed):
        await answer(uow, link, 7, NO, now=after)
    assert [a.user_id for a in (await service.get_event(uow, link)).rsvps.going] == [7]
    assert (await edit(uow, link, OWNER, "closes", "")).closes_at == START


async def test_cards_are_told_once_when_answers_close(uow):
    link = (await make(uow)).event.link_id
    await cards.record_card(uow, link, chat_id=-100, message_id=1, version=0)
    await edit(uow, link, OWNER, "closes", "2031-12-04 18:00")
    [work] = (await cards.claim_stale(uow)).work  # the edit itself
    await cards.finish(
        uow, work, [cards.CardOutcome(c.card_id, shown=True) for c in work.cards], rest=timedelta(0)
    )
    assert await cards.close_due_answers(uow, now=datetime(2031, 12, 4, 17, 0, tzinfo=UTC)) == 1
    assert await cards.close_due_answers(uow, now=datetime(2031, 12, 4, 17, 5, tzinfo=UTC)) == 0
    [closed] = (await cards.claim_stale(uow, now=datetime(2031, 12, 4, 17, 0, tzinfo=UTC))).work
    assert closed.event.answers_closed


async def test_guests_count_against_seats_and_a_party_waits_together(uow):
    link = (await make(uow)).event.link_id
    await edit(uow, link, OWNER, "capacity", "3")
    await edit(uow, link, OWNER, "guests", "2")
    await answer(uow, link, 1, GOING)
    assert (await attendance.bring_one_more(uow, link, user_id=1)).guests == 1
    assert (await attendance.bring_one_more(uow, link, user_id=1)).guests == 2  # 3 seats: full
    assert (await answer(uow, link, 2, GOING)).status == WAITING
    event = await service.get_event(uow, link)
    assert event.rsvps.seats_taken == 3 and [(a.user_id, a.guests) for a in event.rsvps.going] == [(1, 2)]
    # Back to no guests: two seats free, and the first waiting takes one.
    outcome = await attendance.bring_one_more(uow, link, user_id=1)
    assert outcome.guests == 0 and [p.user_id for p in outcome.promoted] == [2]


async def test_a_guest_needs_a_free_seat_an_answer_first_and_an_event_that_takes_guests(uow):
    link = (await make(uow)).event.link_id
    await edit(uow, link, OWNER, "guests", "1")
    with pytest.raises(AnswerFirst):
        await attendance.bring_one_more(uow, link, user_id=1)
    await answer(uow, link, 1, MAYBE)
    with pytest.raises(AnswerFirst):
        await attendance.bring_one_more(uow, link, user_id=1)
    await edit(uow, link, OWNER, "guests", "0")
    await answer(uow, link, 1, GOING)
    with pytest.raises(GuestsNotAllowed):
        await attendance.bring_one_more(uow, link, user_id=1)
    await edit(uow, link, OWNER, "guests", "1")
    await edit(uow, link, OWNER, "capacity", "1")
    with pytest.raises(NoSeatForGuest):
        await attendance.bring_one_more(uow, link, user_id=1)
    assert (await service.get_event(uow, link)).rsvps.going[0].guests == 0
    for bad in ("11", "-1", "lots"):
        with pytest.raises(InvalidField):
            await edit(uow, link, OWNER, "guests", bad)


async def test_a_person_who_changes_their_answer_leaves_their_guests_behind(uow):
    link = (await make(uow)).event.link_id
    await edit(uow, link, OWNER, "guests", "3")
    await answer(uow, link, 1, GOING)
    await attendance.bring_one_more(uow, link, user_id=1)
    await answer(uow, link, 1, MAYBE)
    await answer(uow, link, 1, GOING)
    assert (await service.get_event(uow, link)).rsvps.going[0].guests == 0


async def test_a_hidden_list_is_shown_to_those_who_may_manage(uow):
    created = await make(uow)
    link = created.event.link_id
    assert (await edit(uow, link, OWNER, "list", "hidden")).hide_names
    holder = Requester(2002, private=True)
    assert not (await service.view_event(uow, link, viewer_chat_id=2002)).viewer_unlocked
    await access.unlock(uow, link, holder, created.secret_code)
    assert (await service.view_event(uow, link, viewer_chat_id=2002)).viewer_unlocked
    assert not (await service.view_event(uow, link, viewer_chat_id=3003)).viewer_unlocked
    with pytest.raises(InvalidField):
        await edit(uow, link, OWNER, "list", "maybe later")
    assert not (await edit(uow, link, OWNER, "list", "shown")).hide_names


async def test_a_groups_setting_says_who_may_create(uow):
    assert not (await chat_settings.setup_for_new_event(uow, -100, PARIS)).admins_only
    await chat_settings.set_creators(uow, -100, admins_only=True)
    setup = await chat_settings.setup_for_new_event(uow, -100, PARIS)
    assert setup.admins_only and not setup.chosen and setup.timezone == PARIS
    await chat_settings.set_creators(uow, -100, admins_only=False)
    assert not (await chat_settings.setup_for_new_event(uow, -100, PARIS)).admins_only


async def test_the_first_event_in_a_zone_nobody_chose_names_it_once_and_can_follow_the_new_zone(uow):
    first = await make(uow, chat_id=-200, zone_chosen=False)
    second = await make(uow, chat_id=-200, zone_chosen=False)
    assert first.names_zone and not second.names_zone
    chosen = await chat_settings.set_chat_timezone(uow, -200, "Berlin")
    assert chosen.first_event is not None and chosen.first_event.link_id == first.event.link_id
    # Berlin and Paris share their clock, so pick a zone that does not: same clock time, other instant.
    await chat_settings.set_chat_timezone(uow, -300, "UTC")
    third = await make(uow, chat_id=-400, zone_chosen=False)
    offer = await chat_settings.set_chat_timezone(uow, -400, "New York")
    assert offer.first_event is not None
    moved = await service.move_to_chat_zone(uow, -400, third.event.link_id, keep_clock_time=True)
    assert moved.timezone == "America/New_York" and moved.starts_at == datetime(
        2031, 12, 6, 0, 30, tzinfo=UTC
    )
    with pytest.raises(Exception):  # noqa: B017 - once only
        await service.move_to_chat_zone(uow, -400, third.event.link_id, keep_clock_time=False)


async def test_keeping_the_moment_changes_only_the_zone_it_is_shown_in(uow):
    created = await make(uow, chat_id=-500, zone_chosen=False)
    await chat_settings.set_chat_timezone(uow, -500, "Tokyo")
    kept = await service.move_to_chat_zone(uow, -500, created.event.link_id, keep_clock_time=False)
    assert (kept.timezone, kept.starts_at) == ("Asia/Tokyo", START)


async def test_the_list_of_answers_is_for_those_who_may_manage_in_answer_order(uow):
    created = await make(uow)
    link = created.event.link_id
    await edit(uow, link, OWNER, "capacity", "1")
    for user, what in ((1, GOING), (2, MAYBE), (3, GOING), (4, NO)):
        await answer(uow, link, user, what)
    listed = await service.answer_list(uow, link, OWNER)
    assert [(r.name, r.status) for r in listed.rows] == [
        ("P1", GOING),
        ("P2", MAYBE),
        ("P3", WAITING),
        ("P4", NO),
    ]
    with pytest.raises(NotAllowed):
        await service.answer_list(uow, link, Requester(9))
    by_code = await service.answer_list(uow, link, Requester(9, private=True), code=created.secret_code)
    assert len(by_code.rows) == 4
