"""Recurring series in storage, on SQLite and PostgreSQL: each date's own answers, moving on exactly once,
skipping and moving a date, changing the rule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from core import attendance, cards, recurrence, reminders, series, service
from core.access import Requester
from core.errors import InvalidField, NotASeries
from core.events import GOING, MAYBE
from tests.integration.actions import edit

CREATOR = 1001
OWNER = Requester(CREATOR)
BERLIN = "Europe/Berlin"
NOW = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)  # Monday 10 March 2031
FIRST = datetime(2031, 3, 11, 18, 0, tzinfo=UTC)  # Tue 11 March, 19:00 CET
SECOND = datetime(2031, 3, 18, 18, 0, tzinfo=UTC)


async def make(uow, when: str = "every Tue 19:00", **fields) -> str:
    created = await service.create_event(
        uow,
        title="Running club",
        when=when,
        timezone=BERLIN,
        creator_user_id=CREATOR,
        chat_id=-100,
        rounds=4,
        now=NOW,
        **fields,
    )
    return created.event.link_id


async def answer(uow, link, user, what, now=NOW):
    return await attendance.respond(uow, link, user_id=user, name=f"P{user}", answer=what, now=now)


async def test_a_series_shows_its_first_date_and_how_it_repeats(uow):
    link = await make(uow)
    event = await service.get_event(uow, link)
    assert event.is_series and event.recurrence == "FREQ=WEEKLY;BYDAY=TU"
    assert event.starts_at == event.series_start == event.occurrence_start == FIRST
    assert await service.list_user_events(uow, CREATOR, now=NOW) == [event]


async def test_when_a_date_begins_the_series_moves_on_with_fresh_answers_and_keeps_the_old_ones(uow):
    link = await make(uow)
    await answer(uow, link, 1, GOING)
    await answer(uow, link, 2, MAYBE)
    assert await series.roll_over_due(uow, now=FIRST - timedelta(minutes=1)) == 0
    assert await series.roll_over_due(uow, now=FIRST + timedelta(seconds=1)) == 1
    event = await service.get_event(uow, link)
    assert (event.starts_at, event.occurrence_start) == (SECOND, SECOND)
    assert event.rsvps.going == () and event.rsvps.maybe == ()
    async with uow:
        past = await uow.rsvps.past_answers((await uow.events.get_by_link(link)).id)
    assert [(day, a.user_id, a.status) for day, a in past] == [(FIRST, 1, GOING), (FIRST, 2, MAYBE)]
    assert await reminders.pending_reminders(uow, link) == [
        SECOND - timedelta(days=1),
        SECOND - timedelta(hours=1),
    ]
    # Its cards are due for an edit, to the new date.
    await cards.record_card(uow, link, chat_id=-100, message_id=1, version=0)
    [work] = (await cards.claim_stale(uow, now=FIRST + timedelta(seconds=2))).work
    assert work.event.starts_at == SECOND
    assert (await answer(uow, link, 3, GOING, now=FIRST + timedelta(minutes=5))).status == GOING


async def test_series_due_together_move_on_in_one_round_each_by_its_own_rule(uow):
    weekly = await make(uow)
    ending = await make(uow, when="every Tue 19:00 for 1 times")
    moved = await make(uow, when="every Tue 19:00")
    await series.move_date(uow, moved, OWNER, "2031-03-18", "2031-03-19 21:00", now=NOW)
    daily = await make(uow, when="daily 19:00")
    await answer(uow, weekly, 1, GOING)
    await answer(uow, daily, 2, MAYBE)
    assert await series.roll_over_due(uow, now=FIRST + timedelta(seconds=1)) == 4
    after = {link: await service.get_event(uow, link) for link in (weekly, ending, moved, daily)}
    assert after[weekly].starts_at == SECOND and after[weekly].rsvps.going == ()
    assert (after[ending].starts_at, after[ending].occurrence_start) == (FIRST, None)
    assert after[moved].starts_at == datetime(2031, 3, 19, 20, 0, tzinfo=UTC)
    # Daily from Mon 10th: Tue 11th 19:00 began too, so the next date still ahead is Wed 12th.
    assert after[daily].starts_at == datetime(2031, 3, 12, 18, 0, tzinfo=UTC)
    for link, who in ((weekly, [(FIRST, 1)]), (daily, [(datetime(2031, 3, 10, 18, 0, tzinfo=UTC), 2)])):
        async with uow:
            past = await uow.rsvps.past_answers((await uow.events.get_by_link(link)).id)
        assert [(day, a.user_id) for day, a in past] == who
    assert await reminders.pending_reminders(uow, weekly) == [
        SECOND - timedelta(days=1),
        SECOND - timedelta(hours=1),
    ]


async def test_a_series_down_for_weeks_moves_to_the_next_date_still_ahead(uow):
    link = await make(uow)
    later = FIRST + timedelta(days=20)
    assert await series.roll_over_due(uow, now=later) == 1
    assert (await service.get_event(uow, link)).starts_at == datetime(2031, 4, 1, 17, 0, tzinfo=UTC)  # CEST


async def test_a_series_that_ends_stays_at_its_last_date(uow):
    link = await make(uow, when="every Tue 19:00 for 2 times")
    await series.roll_over_due(uow, now=FIRST + timedelta(seconds=1))
    await series.roll_over_due(uow, now=SECOND + timedelta(seconds=1))
    event = await service.get_event(uow, link)
    assert event.starts_at == SECOND and event.occurrence_start is None
    assert await series.roll_over_due(uow, now=SECOND + timedelta(days=30)) == 0


async def test_skipping_the_next_date_tells_who_was_going_and_moves_on(uow):
    link = await make(uow)
    await answer(uow, link, 1, GOING)
    skipped = await series.skip_date(uow, link, OWNER, now=NOW)
    assert skipped.day == FIRST and [p.user_id for p in skipped.told] == [1]
    assert skipped.event.starts_at == SECOND and skipped.event.rsvps.going == ()


async def test_skipping_a_later_date_leaves_it_out_and_a_day_without_a_date_is_refused(uow):
    link = await make(uow)
    skipped = await series.skip_date(uow, link, OWNER, day="2031-03-18", now=NOW)
    assert skipped.day == SECOND and skipped.told == () and skipped.event.starts_at == FIRST
    event = skipped.event
    coming = recurrence.occurrences(
        event.recurrence, event.series_start, BERLIN, after=FIRST, skipped=event.skipped_dates
    )
    assert coming[0] == datetime(2031, 3, 25, 18, 0, tzinfo=UTC)
    await series.roll_over_due(uow, now=FIRST + timedelta(seconds=1))
    assert (await service.get_event(uow, link)).starts_at == datetime(2031, 3, 25, 18, 0, tzinfo=UTC)
    with pytest.raises(InvalidField) as refused:
        await series.skip_date(uow, link, OWNER, day="2031-03-27", now=NOW)
    assert refused.value.reason == "not_a_date_of_the_series"
    with pytest.raises(NotASeries):
        one = await service.create_event(
            uow, title="Once", when=FIRST, timezone=BERLIN, creator_user_id=CREATOR, rounds=4, now=NOW
        )
        await series.skip_date(uow, one.event.link_id, OWNER, now=NOW)


async def test_moving_the_next_date_keeps_its_answers_and_the_rule_goes_on(uow):
    link = await make(uow)
    await answer(uow, link, 1, GOING)
    moved = await edit(uow, link, OWNER, "when", "2031-03-12 20:00", now=NOW)
    assert moved.starts_at == datetime(2031, 3, 12, 19, 0, tzinfo=UTC)
    assert moved.occurrence_start == FIRST and [p.user_id for p in moved.rsvps.going] == [1]
    await series.roll_over_due(uow, now=datetime(2031, 3, 12, 19, 1, tzinfo=UTC))
    assert (await service.get_event(uow, link)).starts_at == SECOND


async def test_a_later_date_moved_shows_at_its_new_time_and_the_card_takes_it_when_its_turn_comes(uow):
    link = await make(uow)
    wednesday = datetime(2031, 3, 19, 19, 30, tzinfo=UTC)  # Wed 19 March, 20:30 CET
    moved = await series.move_date(uow, link, OWNER, "2031-03-18", "2031-03-19 20:30", now=NOW)
    assert (moved.day, moved.to) == (SECOND, wednesday)
    event = moved.event
    assert event.starts_at == FIRST and event.moved_dates == ((SECOND, wednesday),)
    coming = recurrence.occurrences(
        event.recurrence, event.series_start, BERLIN, after=FIRST, moved=event.moved_dates
    )
    assert coming[:2] == [wednesday, datetime(2031, 3, 25, 18, 0, tzinfo=UTC)]
    await series.roll_over_due(uow, now=FIRST + timedelta(seconds=1))
    shown = await service.get_event(uow, link)
    assert (shown.starts_at, shown.occurrence_start, shown.moved_dates) == (wednesday, SECOND, ())
    # It begins at its new time, not at the rule's: on Tuesday evening it is still the date shown.
    assert await series.roll_over_due(uow, now=SECOND + timedelta(hours=2)) == 0
    assert await series.roll_over_due(uow, now=wednesday + timedelta(seconds=1)) == 1
    assert (await service.get_event(uow, link)).starts_at == datetime(2031, 3, 25, 18, 0, tzinfo=UTC)


async def test_a_date_moves_only_between_the_dates_around_it(uow):
    link = await make(uow)
    # Past the next date, or before the previous one, it would change the dates' order.
    for to in ("2031-03-26 19:00", "2031-03-11 18:00"):
        with pytest.raises(InvalidField) as refused:
            await series.move_date(uow, link, OWNER, "2031-03-18", to, now=NOW)
        assert refused.value.field == "move"
    with pytest.raises(InvalidField) as refused:
        await edit(uow, link, OWNER, "when", "2031-03-19 20:00", now=NOW)
    assert (refused.value.field, refused.value.reason) == ("move", "out_of_order")
    with pytest.raises(InvalidField) as refused:
        await series.move_date(uow, link, OWNER, "2031-03-20", "2031-03-21 19:00", now=NOW)
    assert refused.value.reason == "not_a_date_of_the_series"
    event = await service.get_event(uow, link)
    assert (event.starts_at, event.moved_dates) == (FIRST, ())


async def test_moving_the_date_shown_keeps_its_answers_and_skipping_a_moved_date_forgets_the_move(uow):
    link = await make(uow)
    await answer(uow, link, 1, GOING)
    moved = await series.move_date(uow, link, OWNER, "Tue 11 March", "2031-03-11 20:15", now=NOW)
    assert moved.event.starts_at == datetime(2031, 3, 11, 19, 15, tzinfo=UTC)
    assert [p.user_id for p in moved.event.rsvps.going] == [1]
    assert await reminders.pending_reminders(uow, link) == [
        moved.event.starts_at - timedelta(days=1),
        moved.event.starts_at - timedelta(hours=1),
    ]
    await series.move_date(uow, link, OWNER, "2031-03-18", "2031-03-17 19:00", now=NOW)
    skipped = await series.skip_date(uow, link, OWNER, day="2031-03-18", now=NOW)
    assert skipped.event.moved_dates == () and skipped.event.skipped_dates == (SECOND,)


async def test_changing_the_rule_changes_every_date_to_come_and_off_ends_the_series(uow):
    link = await make(uow)
    changed = await edit(uow, link, OWNER, "repeat", "every Thu 18:30", now=NOW)
    assert changed.recurrence == "FREQ=WEEKLY;BYDAY=TH"
    assert changed.starts_at == datetime(2031, 3, 13, 17, 30, tzinfo=UTC)
    ended = await edit(uow, link, OWNER, "repeat", "off", now=NOW)
    assert not ended.is_series and ended.starts_at == changed.starts_at
    with pytest.raises(InvalidField):
        await edit(uow, link, OWNER, "repeat", "every so often", now=NOW)


async def test_two_processes_move_each_series_on_exactly_once(committing_uow_factory):
    links = [await make(committing_uow_factory()) for _ in range(6)]
    for link in links:
        await attendance.respond(committing_uow_factory(), link, user_id=1, name="Ann", answer=GOING, now=NOW)
    moved = await asyncio.gather(
        *(
            series.roll_over_due(committing_uow_factory(), now=FIRST + timedelta(seconds=1), limit=2)
            for _ in range(6)
        )
    )
    assert sum(moved) == 6
    for link in links:
        assert (await service.get_event(committing_uow_factory(), link)).starts_at == SECOND
    uow = committing_uow_factory()
    async with uow:
        rows = (await uow.session.execute(text("SELECT count(*) FROM past_answers"))).scalar_one()
    assert rows == 6


def walked(event) -> tuple[datetime, ...]:
    """The dates after the one shown, walking the rule from its first date: what the row must keep."""
    return tuple(
        recurrence.occurrences(
            event.recurrence,
            event.series_start,
            event.timezone,
            after=max(event.starts_at, event.occurrence_start),
            skipped=event.skipped_dates,
            moved=event.moved_dates,
        )
    )


async def test_the_row_keeps_the_dates_its_cards_list_through_every_change(uow):
    link = await make(uow)
    assert (await service.get_event(uow, link)).coming_dates == walked(await service.get_event(uow, link))
    steps = [
        lambda: series.skip_date(uow, link, OWNER, day="2031-03-25", now=NOW),
        lambda: series.move_date(uow, link, OWNER, "2031-04-01", "2031-04-02 20:30", now=NOW),
        lambda: edit(uow, link, OWNER, "when", "2031-03-12 20:00", now=NOW),
        lambda: series.roll_over_due(uow, now=datetime(2031, 3, 12, 19, 1, tzinfo=UTC)),
        lambda: edit(uow, link, OWNER, "repeat", "every Thu 18:00", now=NOW),
    ]
    for step in steps:
        await step()
        event = await service.get_event(uow, link)
        assert event.coming_dates is not None and len(event.coming_dates) == recurrence.LISTED
        assert event.coming_dates == walked(event)
    assert datetime(2031, 3, 25, 18, 0, tzinfo=UTC) not in walked(event)


async def test_dates_kept_for_other_values_are_not_shown(uow):
    link = await make(uow)
    # A change that does not work the dates out again (here straight in the table) leaves them unused:
    # the card walks the rule instead of listing dates that no longer follow from the row.
    await uow.session.execute(
        text("UPDATE events SET timezone = 'America/New_York' WHERE link_id = :l"), {"l": link}
    )
    await uow.session.commit()
    uow.session.expunge_all()
    event = await service.get_event(uow, link)
    assert event.coming_dates is None
