"""The rules of time polls that need no database: the best time, the answer cycle, reading /poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.handlers.polls import parse_poll
from core import polls
from core.errors import InvalidField

START = datetime(2031, 12, 1, 19, tzinfo=UTC)


def option(number: int, yes: int, maybe: int, day: int, no: int = 0) -> polls.OptionView:
    return polls.OptionView(
        number,
        number,
        START + timedelta(days=day),
        None,
        tuple(polls.Voter(i, f"Y{i}") for i in range(yes)),
        tuple(polls.Voter(100 + i, f"M{i}") for i in range(maybe)),
        no,
    )


def test_most_yes_wins():
    assert polls.best_option([option(1, 2, 5, 1), option(2, 3, 0, 2)]).id == 2


def test_on_equal_yes_most_if_need_be_wins():
    assert polls.best_option([option(1, 2, 1, 1), option(2, 2, 3, 2)]).id == 2


def test_on_a_full_tie_the_earliest_wins_whatever_the_order_listed():
    assert polls.best_option([option(1, 2, 1, 5), option(2, 2, 1, 4), option(3, 2, 1, 6)]).id == 2


def test_no_votes_at_all_gives_the_earliest_and_no_star():
    options = (option(1, 0, 0, 5, no=3), option(2, 0, 0, 4))
    assert polls.best_option(options).id == 2
    view = polls.PollView(_event(), options)
    assert view.best is None


def test_the_answer_cycle_is_yes_if_need_be_no_and_round_again():
    seen, answer = [], None
    for _ in range(4):
        answer = polls.NEXT_ANSWER[answer]
        seen.append(answer)
    assert seen == ["yes", "maybe", "no", "yes"]


def test_a_poll_line_splits_into_title_times_and_a_last_deadline():
    assert parse_poll("Games | Fri 19:00 | Sat 15:00 | closes Thu 20:00") == (
        "Games",
        ["Fri 19:00", "Sat 15:00"],
        "Thu 20:00",
    )
    assert parse_poll("Games | Fri 19:00 | | Sat 15:00") == ("Games", ["Fri 19:00", "Sat 15:00"], None)
    with pytest.raises(InvalidField) as caught:
        parse_poll("Games | Fri 19:00 | closes Thu 20:00 | Sat 15:00")
    assert caught.value.reason == "text_after_deadline"


def _event():
    from core.events import EventView

    return EventView(
        link_id="x",
        title="t",
        description=None,
        location=None,
        starts_at=START,
        ends_at=None,
        timezone="UTC",
        creator_user_id=None,
        chat_id=None,
        sequence=0,
        created_at=START,
        updated_at=START,
        cancelled_at=None,
        kind="poll",
    )
