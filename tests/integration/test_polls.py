"""Time polls on both databases: created only from good input, votes cycling and counted, decided into
an event once, with answers pre-filled in vote order and a capacity respected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import attendance, polls, service
from core.access import Requester
from core.errors import EventNotFound, InvalidField, NotAllowed, PollClosed, PollDecided, PollOptionGone
from core.events import GOING, MAYBE, WAITING
from core.storage.models import Event, Notice, PollOption
from tests.integration.actions import set_capacity

CREATOR = 1001
OWNER = Requester(CREATOR)
NOW = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)


def at(days: float = 0, hours: float = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hours)


async def make(uow_factory, times=None, closes=None, **kw) -> polls.CreatedPoll:
    return await polls.create_poll(
        uow_factory(),
        title="Board games",
        options=times or [at(days=3), at(days=4), at(days=5)],
        closes=closes,
        timezone="UTC",
        creator_user_id=CREATOR,
        chat_id=-100,
        rounds=4,
        now=NOW,
        **kw,
    )


async def count(uow_factory, model) -> int:
    uow = uow_factory()
    async with uow:
        return int((await uow.session.execute(select(func.count()).select_from(model))).scalar_one())


async def tap(uow_factory, link, option_id, user, now=NOW) -> str:
    out = await polls.vote(uow_factory(), link, option_id, user_id=user, name=f"P{user}", now=now)
    return out.answer


async def test_a_poll_keeps_its_times_in_order_and_reminds_nobody(uow_factory):
    created = await make(uow_factory, closes=at(days=2))
    poll = created.poll
    assert created.secret_code
    assert poll.event.kind == "poll" and poll.event.title == "Board games"
    assert [o.starts_at for o in poll.options] == [at(days=3), at(days=4), at(days=5)]
    assert [o.position for o in poll.options] == [1, 2, 3]
    assert poll.closes_at == at(days=2)
    assert poll.best is None


async def test_typed_times_are_read_like_newevent(uow_factory):
    created = await make(
        uow_factory, times=["2027-01-02 19:00", "2027-01-03 15:00"], closes="2027-01-01 20:00"
    )
    assert [o.starts_at for o in created.poll.options] == [
        datetime(2027, 1, 2, 19, tzinfo=UTC),
        datetime(2027, 1, 3, 15, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("times", "closes", "field", "reason"),
    [
        ([at(days=3)], None, "options", "too_few"),
        ([at(days=d) for d in range(1, 12)], None, "options", "too_many"),
        ([at(days=3), at(days=-1)], None, "when", "past"),
        ([at(days=3), at(days=3)], None, "options", "duplicate"),
        (["2027-01-02 19:00", "2027-01-02 19:00"], None, "options", "duplicate"),
        (["2027-01-02 19:00", "sometime soonish"], None, "when", "not_understood"),
        ([at(days=3), at(days=4)], at(days=3), "closes", "after_first_option"),
        ([at(days=3), at(days=4)], at(days=-1), "closes", "past"),
    ],
)
async def test_bad_polls_are_refused_and_nothing_is_stored(uow_factory, times, closes, field, reason):
    with pytest.raises(InvalidField) as caught:
        await make(uow_factory, times=times, closes=closes)
    assert (caught.value.field, caught.value.reason) == (field, reason)
    assert await count(uow_factory, Event) == 0
    assert await count(uow_factory, PollOption) == 0


async def test_a_bad_time_says_which_one(uow_factory):
    with pytest.raises(InvalidField) as caught:
        await make(uow_factory, times=[at(days=3), "2027-01-02 19:00", "nonsense words"])
    assert caught.value.params["option"] == 3


async def test_each_tap_moves_the_answer_on_and_the_card_counts_it(uow_factory):
    poll = (await make(uow_factory)).poll
    link, first, second = poll.event.link_id, poll.options[0].id, poll.options[1].id
    assert [await tap(uow_factory, link, first, 1) for _ in range(4)] == ["yes", "maybe", "no", "yes"]
    assert await tap(uow_factory, link, second, 1) == "yes"  # yes to several times
    assert await tap(uow_factory, link, second, 2) == "yes"
    assert await tap(uow_factory, link, first, 3) == "yes"
    await tap(uow_factory, link, first, 3)
    view = await polls.view_poll(uow_factory(), link)
    assert [v.user_id for v in view.options[0].yes] == [1]
    assert [v.user_id for v in view.options[0].maybe] == [3]
    assert [v.user_id for v in view.options[1].yes] == [1, 2]
    assert view.best is not None and view.best.id == second
    assert view.voters == 3


async def test_votes_are_refused_on_an_unknown_time_after_the_deadline_and_on_events(uow_factory):
    poll = (await make(uow_factory, closes=at(days=1))).poll
    link = poll.event.link_id
    with pytest.raises(PollOptionGone):
        await tap(uow_factory, link, 999_999, 1)
    with pytest.raises(PollClosed):
        await tap(uow_factory, link, poll.options[0].id, 1, now=at(days=1, hours=1))
    event = await service.create_event(
        uow_factory(), title="x", when=at(days=2), timezone="UTC", rounds=4, now=NOW
    )
    with pytest.raises(EventNotFound):
        await attendance.respond(uow_factory(), link, user_id=5, name="x", answer="going", now=NOW)
    assert event.event.kind == "event"


async def test_ties_go_to_the_earliest_time(uow_factory):
    poll = (await make(uow_factory, times=[at(days=5), at(days=3), at(days=4)])).poll
    link = poll.event.link_id
    late, early, middle = poll.options
    for option in (late, early, middle):
        await tap(uow_factory, link, option.id, 1)
    await tap(uow_factory, link, late.id, 2)
    await tap(uow_factory, link, early.id, 2)
    decided = await polls.close_poll(uow_factory(), link, OWNER, now=NOW)
    assert decided.option.starts_at == at(days=3)


async def test_closing_makes_the_event_with_answers_in_vote_order_and_a_waitlist(uow_factory):
    poll = (await make(uow_factory)).poll
    link, chosen = poll.event.link_id, poll.options[1]
    await set_capacity(uow_factory(), link, OWNER, 2)
    for user in (11, 12, 13, 14):
        await tap(uow_factory, link, chosen.id, user, now=NOW + timedelta(seconds=user))
    for _ in range(2):
        await tap(uow_factory, link, chosen.id, 15)  # if need be
    for _ in range(3):
        await tap(uow_factory, link, chosen.id, 16)  # no
    decided = await polls.close_poll(uow_factory(), link, OWNER, number=2, now=NOW)
    assert decided.option.id == chosen.id
    assert decided.going == (11, 12) and decided.waiting == (13, 14) and decided.maybe == (15,)
    event = await service.get_event(uow_factory(), link)
    assert event.kind == "event" and event.starts_at == chosen.starts_at
    assert [a.user_id for a in event.rsvps.going] == [11, 12]
    assert [a.user_id for a in event.rsvps.waiting] == [13, 14]
    assert [a.user_id for a in event.rsvps.maybe] == [15]
    assert event.reminder_minutes == (1440, 60)
    due = await polls.claim_notices(uow_factory(), now=NOW)
    assert sorted((n.kind, n.chat_id, n.status) for n in due) == [
        ("dm", 11, GOING),
        ("dm", 12, GOING),
        ("dm", 13, WAITING),
        ("dm", 14, WAITING),
        ("dm", 15, MAYBE),
    ]
    assert [await polls.start_notice(uow_factory(), n.notice_id) for n in due[:2]] == [True, True]
    assert await polls.start_notice(uow_factory(), due[0].notice_id) is False
    with pytest.raises(PollDecided):
        await tap(uow_factory, link, chosen.id, 20)
    with pytest.raises(PollDecided):
        await polls.close_poll(uow_factory(), link, OWNER, now=NOW)


async def test_only_the_creator_or_a_code_holder_closes_a_poll(uow_factory):
    created = await make(uow_factory)
    link = created.poll.event.link_id
    with pytest.raises(NotAllowed):
        await polls.close_poll(uow_factory(), link, Requester(55), now=NOW)
    with pytest.raises(InvalidField):
        await polls.close_poll(uow_factory(), link, OWNER, number=4, now=NOW)
    decided = await polls.close_poll(
        uow_factory(), link, Requester(55, private=True), number=3, code=created.secret_code, now=NOW
    )
    assert decided.option.position == 3


async def test_the_deadline_decides_the_best_time_once(uow_factory):
    poll = (await make(uow_factory, closes=at(days=1))).poll
    link = poll.event.link_id
    await tap(uow_factory, link, poll.options[2].id, 1)
    assert await polls.close_due_polls(uow_factory(), now=at(hours=23)) == 0
    assert await polls.close_due_polls(uow_factory(), now=at(days=1)) == 1
    assert await polls.close_due_polls(uow_factory(), now=at(days=1, hours=1)) == 0
    event = await service.get_event(uow_factory(), link)
    assert event.starts_at == at(days=5) and [a.user_id for a in event.rsvps.going] == [1]


async def test_editing_the_times_drops_votes_on_a_time_taken_off_and_tells_those_voters(uow_factory):
    poll = (await make(uow_factory)).poll
    link = poll.event.link_id
    await tap(uow_factory, link, poll.options[0].id, 1)
    await tap(uow_factory, link, poll.options[1].id, 2)
    edited = await polls.edit_poll(uow_factory(), link, OWNER, "options", [at(days=4), at(days=6)], now=NOW)
    assert [o.starts_at for o in edited.poll.options] == [at(days=4), at(days=6)]
    assert [v.user_id for v in edited.poll.options[0].yes] == [2]
    assert edited.dropped_voters == 1
    due = await polls.claim_notices(uow_factory(), now=NOW)
    assert [(n.kind, n.chat_id) for n in due] == [("dropped", 1)]
    renamed = await polls.edit_poll(uow_factory(), link, OWNER, "title", "Games night", now=NOW)
    assert renamed.poll.event.title == "Games night"
    with pytest.raises(InvalidField):
        await polls.edit_poll(uow_factory(), link, OWNER, "options", [at(days=4)], now=NOW)
    assert await count(uow_factory, Notice) == 1


async def test_a_deleted_poll_is_never_decided(uow_factory):
    poll = (await make(uow_factory, closes=at(days=1))).poll
    await service.delete_event(uow_factory(), poll.event.link_id, OWNER, now=NOW)
    assert await polls.close_due_polls(uow_factory(), now=at(days=2)) == 0


async def test_without_a_deadline_the_earliest_time_closes_it_and_picks_among_the_times_ahead(uow_factory):
    poll = (await make(uow_factory)).poll
    link = poll.event.link_id
    await tap(uow_factory, link, poll.options[0].id, 1)  # the earliest is the favourite
    await tap(uow_factory, link, poll.options[2].id, 2, now=NOW)
    assert await polls.close_due_polls(uow_factory(), now=at(days=3) - timedelta(minutes=1)) == 0
    assert await polls.close_due_polls(uow_factory(), now=at(days=3)) == 1
    event = await service.get_event(uow_factory(), link)
    assert event.starts_at == at(days=5) and [a.user_id for a in event.rsvps.going] == [2]


async def test_the_same_tap_delivered_twice_moves_the_answer_once(uow_factory):
    poll = (await make(uow_factory)).poll
    link, first = poll.event.link_id, poll.options[0].id

    async def tap_as(tap_id: str) -> str:
        out = await polls.vote(uow_factory(), link, first, user_id=1, name="P1", now=NOW, tap_id=tap_id)
        return out.answer

    assert [await tap_as("q1"), await tap_as("q1"), await tap_as("q2"), await tap_as("q2")] == [
        "yes",
        "yes",
        "maybe",
        "maybe",
    ]
    view = await polls.view_poll(uow_factory(), link)
    assert [v.user_id for v in view.options[0].maybe] == [1]
