"""Time polls: "when can everyone make it?", answered with taps, then turned into the event.

A poll is an ``events`` row of kind "poll": it has a link, a secret code, a creator, posted cards and
card sync as any event. Its times are ``poll_options``; each person's answer per time is a
``poll_votes`` row: yes, if need be ("maybe"), or no. Deciding it turns the same row into an event at
the chosen time (link and code kept): people who said yes start as Going (past a capacity, on the
waitlist in the order they voted), those who said if need be as Maybe, and each is owed a private
message (a ``notices`` row, sent once by whichever process claims it). The deadline is decided by the
reminders loop of whichever process finds it first, exactly once: the poll's row is locked (SKIP
LOCKED) and stops being a poll in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import access, cards, codes, dates, reminders
from core.access import Requester
from core.clock import as_utc, now_or
from core.errors import (
    ConcurrentChange,
    DuplicateLink,
    DuplicateOrigin,
    EventCancelled,
    EventNotFound,
    InvalidField,
    NotAPoll,
    PollClosed,
    PollDecided,
    PollOptionGone,
    StaleRow,
)
from core.events import DEFAULT_REMINDERS as EVENT_REMINDERS
from core.events import GOING, MAYBE, WAITING, EventView, clean_name, clean_title, format_reminder_minutes
from core.storage.models import Event, Notice, PollOption, PollVote, Rsvp
from core.storage.polls import OptionRow, VoteRowLite
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import event_view

YES, IF_NEED_BE, NO = "yes", "maybe", "no"
# Each tap moves one's answer for a time one step on.
NEXT_ANSWER = {None: YES, YES: IF_NEED_BE, IF_NEED_BE: NO, NO: YES}
MIN_OPTIONS, MAX_OPTIONS = 2, 10
LINK_ATTEMPTS = 5
NOTICE_LEASE = timedelta(minutes=2)
DUE_BATCH = 100
# Notice kinds: a private message to a voter once decided; the event's card in a chat the poll was in;
# a private message to someone whose votes went with a time taken off the poll.
DECIDED_DM, EVENT_CARD, DROPPED_DM = "dm", "card", "dropped"


@dataclass(frozen=True, slots=True)
class Voter:
    user_id: int
    name: str


@dataclass(frozen=True, slots=True)
class OptionView:
    id: int
    position: int  # from 1, as the card numbers them
    starts_at: datetime
    ends_at: datetime | None
    yes: tuple[Voter, ...] = ()  # in the order they voted
    maybe: tuple[Voter, ...] = ()
    no_count: int = 0
    chosen: bool = False

    def answer_of(self, user_id: int) -> str | None:
        if any(v.user_id == user_id for v in self.yes):
            return YES
        if any(v.user_id == user_id for v in self.maybe):
            return IF_NEED_BE
        return None


@dataclass(frozen=True, slots=True)
class PollView:
    event: EventView
    options: tuple[OptionView, ...]

    @property
    def closes_at(self) -> datetime:
        """The deadline, or the earliest time offered."""
        return self.event.poll_closes_at or min(o.starts_at for o in self.options)

    @property
    def best(self) -> OptionView | None:
        """The time most people can make, once anyone said yes or if need be."""
        if not any(o.yes or o.maybe for o in self.options):
            return None
        return best_option(self.options)

    @property
    def chosen(self) -> OptionView | None:
        return next((o for o in self.options if o.chosen), None)

    @property
    def voters(self) -> int:
        people = {v.user_id for o in self.options for v in (*o.yes, *o.maybe)}
        return len(people)


def best_option(options: Sequence[OptionView]) -> OptionView:
    """The rule a deadline decides by: most yes, then most if-need-be, then the earliest time."""
    if not options:
        raise ValueError("a poll without options")
    return min(options, key=lambda o: (-len(o.yes), -len(o.maybe), o.starts_at, o.position))


@dataclass(frozen=True, slots=True)
class CreatedPoll:
    poll: PollView
    secret_code: str
    repeated: bool = False


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    link_id: str
    title: str
    timezone: str
    option_starts_at: datetime
    answer: str


@dataclass(frozen=True, slots=True)
class Decided:
    event: EventView
    option: OptionView
    going: tuple[int, ...]
    maybe: tuple[int, ...]
    waiting: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class EditedPoll:
    poll: PollView
    dropped_voters: int  # people whose votes went with a time taken off


def parse_options(
    options: Sequence[str | datetime | dates.When], timezone: str, now: datetime, *, language: str = "en"
) -> list[dates.When]:
    """Read 2 to 10 times, each still ahead and each a different instant; ``InvalidField`` otherwise
    (a time's own problem carries ``option``, its number from 1). Typed times are read in ``language``
    (the chat's) and in English."""
    if len(options) < MIN_OPTIONS:
        raise InvalidField("options", "too_few", least=MIN_OPTIONS)
    if len(options) > MAX_OPTIONS:
        raise InvalidField("options", "too_many", limit=MAX_OPTIONS, count=len(options))
    spans: list[dates.When] = []
    for number, option in enumerate(options, start=1):
        try:
            span = _span(option, timezone, now, language)
        except InvalidField as exc:
            raise InvalidField(exc.field, exc.reason, **exc.params, option=number) from None
        if any(earlier.starts_at == span.starts_at for earlier in spans):
            raise InvalidField(
                "options", "duplicate", option=number, instant=span.starts_at, timezone=timezone
            )
        spans.append(span)
    return spans


def _span(
    option: str | datetime | dates.When, timezone: str, now: datetime, language: str = "en"
) -> dates.When:
    if isinstance(option, str):
        return dates.parse_when(option, timezone, now=now, language=language)
    span = option if isinstance(option, dates.When) else dates.When(option, None)
    if span.starts_at.tzinfo is None:
        raise InvalidField("when", "no_timezone")
    if span.starts_at <= now:
        raise InvalidField("when", "past", instant=span.starts_at, timezone=timezone)
    return dates.When(as_utc(span.starts_at), as_utc(span.ends_at) if span.ends_at else None)


def parse_deadline(
    closes: str | datetime | None,
    spans: Sequence[dates.When],
    timezone: str,
    now: datetime,
    *,
    language: str = "en",
) -> datetime | None:
    """The deadline, ahead and before the earliest time offered (a poll must be decided before it)."""
    if closes is None:
        return None
    try:
        deadline = _span(closes, timezone, now, language).starts_at
    except InvalidField as exc:
        raise InvalidField("closes", exc.reason, **exc.params) from None
    first = min(span.starts_at for span in spans)
    if deadline >= first:
        raise InvalidField("closes", "after_first_option", closes=deadline, first=first, timezone=timezone)
    return deadline


async def create_poll(
    uow: SqlAlchemyUnitOfWork,
    *,
    title: str,
    options: Sequence[str | datetime | dates.When],
    timezone: str,
    closes: str | datetime | None = None,
    creator_user_id: int | None = None,
    chat_id: int | None = None,
    rounds: int = codes.DEFAULT_ROUNDS,
    now: datetime | None = None,
    origin: str | None = None,
    language: str = "en",
) -> CreatedPoll:
    """Create a poll; every check runs before anything is stored. The code is returned here only."""
    now = now_or(now)
    if origin is not None and (earlier := await _created_from(uow, origin)) is not None:
        return earlier
    if not dates.is_valid_timezone(timezone):
        raise InvalidField("timezone", "unknown", text=timezone[:40])
    clean = clean_title(title)
    spans = parse_options(options, timezone, now, language=language)
    deadline = parse_deadline(closes, spans, timezone, now, language=language)
    secret_code, code_hash = await codes.new_code_and_hash(rounds)
    async with uow:
        for _attempt in range(LINK_ATTEMPTS):
            event = Event(
                link_id=codes.new_link_id(),
                origin=origin,
                publishing_until=now + cards.PUBLISH_LEASE,
                title=clean,
                timezone=timezone,
                starts_at=min(span.starts_at for span in spans),
                ends_at=None,
                creator_user_id=creator_user_id,
                chat_id=chat_id,
                code_hash=code_hash,
                created_at=now,
                updated_at=now,
                kind="poll",
                poll_closes_at=deadline,
                reminder_minutes="",  # a poll reminds nobody; the event it becomes will
            )
            try:
                await uow.events.add(event)
            except DuplicateLink:
                continue
            except DuplicateOrigin:
                break
            await uow.polls.add_options(_options(event.id, spans))
            view = await _poll_view(uow, event)
            await uow.commit()
            return CreatedPoll(view, secret_code)
        else:
            raise RuntimeError(f"no free link id after {LINK_ATTEMPTS} attempts")
    again = await _created_from(uow, origin or "")
    if again is None:
        raise RuntimeError("a poll with this origin vanished")
    return again


def _options(event_id: int, spans: Sequence[dates.When], start: int = 1) -> list[PollOption]:
    return [
        PollOption(event_id=event_id, position=number, starts_at=span.starts_at, ends_at=span.ends_at)
        for number, span in enumerate(spans, start=start)
    ]


async def _created_from(uow: SqlAlchemyUnitOfWork, origin: str) -> CreatedPoll | None:
    async with uow:
        event = await uow.events.get_by_origin(origin)
        if event is None:
            return None
        return CreatedPoll(await _poll_view(uow, event), "", repeated=True)


async def _poll_view(uow: SqlAlchemyUnitOfWork, event: Event) -> PollView:
    options = await uow.polls.options(event.id)
    votes = await uow.polls.votes_of([o.id for o in options])
    return build_view(event_view(event, await uow.rsvps.answers(event.id)), options, votes)


def build_view(
    event: EventView, options: Sequence[PollOption | OptionRow], votes: Sequence[PollVote | VoteRowLite]
) -> PollView:
    """The poll as cards show it; ``votes`` in the order they were cast."""
    by_option: dict[int, list[PollVote | VoteRowLite]] = {}
    for vote in votes:
        by_option.setdefault(vote.option_id, []).append(vote)
    shown = []
    for number, option in enumerate(sorted(options, key=lambda o: o.position), start=1):
        mine = by_option.get(option.id, [])
        shown.append(
            OptionView(
                option.id,
                number,
                option.starts_at,
                option.ends_at,
                tuple(Voter(v.user_id, v.name) for v in mine if v.answer == YES),
                tuple(Voter(v.user_id, v.name) for v in mine if v.answer == IF_NEED_BE),
                sum(1 for v in mine if v.answer == NO),
                option.chosen,
            )
        )
    return PollView(event, tuple(shown))


async def view_poll(uow: SqlAlchemyUnitOfWork, link_id: str) -> PollView:
    """A poll (decided or not) with its votes; ``NotAPoll`` for an event that never was one."""
    async with uow:
        event = await access.find_event(uow, link_id)
        options = await uow.polls.options(event.id)
        if not options:
            raise NotAPoll()
        votes = await uow.polls.votes_of([o.id for o in options])
        return build_view(event_view(event, await uow.rsvps.answers(event.id)), options, votes)


async def polls_of(uow: SqlAlchemyUnitOfWork, events: dict[int, EventView]) -> dict[int, PollView]:
    """Inside a unit of work: the polls among these events (for their cards), in three statements."""
    return {
        event_id: build_view(events[event_id], options, votes)
        for event_id, (options, votes) in (await uow.polls.read(set(events))).items()
    }


async def vote(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    option_id: int,
    *,
    user_id: int,
    name: str,
    now: datetime | None = None,
    tap_id: str | None = None,
) -> VoteOutcome:
    """Move the tapper's answer for one time a step on (yes → if need be → no → yes).

    ``tap_id`` names the tap (Telegram's callback query id): the same tap delivered twice moves the
    answer once."""
    if not codes.is_link_id(link_id):
        raise EventNotFound()
    now = now_or(now)
    name = clean_name(name)
    if uow.answers_in_one_statement:
        row = await uow.vote(link_id, option_id, user_id, name, now, tap_id)
        if row is None:
            raise EventNotFound()
        if row.answer is None or row.option_starts_at is None:
            _refuse(row.kind, row.cancelled, row.closes_at, row.option_starts_at is not None, now)
            raise PollOptionGone()  # an edit took the time off while this vote waited for it
        return VoteOutcome(row.link_id, row.title, row.timezone, row.option_starts_at, row.answer)
    async with uow:
        event = await access.find_event(uow, link_id, for_update=True)
        options = {o.id: o for o in await uow.polls.options(event.id)}
        option = options.get(option_id)
        _refuse(
            event.kind,
            event.cancelled_at is not None,
            event.poll_closes_at or event.starts_at,
            option is not None,
            now,
        )
        assert option is not None
        current = await uow.polls.get_vote(option_id, user_id)
        if current is None:
            answer = YES
            await uow.polls.add_vote(
                PollVote(
                    option_id=option_id,
                    user_id=user_id,
                    name=name,
                    answer=answer,
                    voted_at=now,
                    tap_id=tap_id,
                )
            )
        elif tap_id is not None and current.tap_id == tap_id:
            answer = current.answer  # the same tap again
        else:
            answer = NEXT_ANSWER[current.answer]
            current.answer, current.name, current.voted_at, current.tap_id = answer, name, now, tap_id
        await cards.changed(uow, event, now)
        outcome = VoteOutcome(event.link_id, event.title, event.timezone, option.starts_at, answer)
        await uow.commit()
        return outcome


def _refuse(kind: str, cancelled: bool, closes_at: datetime, option_found: bool, now: datetime) -> None:
    if cancelled:
        raise EventCancelled()
    if kind != "poll":
        raise PollDecided() if option_found else NotAPoll()
    if closes_at <= now:
        raise PollClosed()
    if not option_found:
        raise PollOptionGone()


async def close_poll(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    requester: Requester,
    *,
    number: int | None = None,
    code: str | None = None,
    now: datetime | None = None,
) -> Decided:
    """Decide a poll now: the time numbered ``number`` (from 1), or the best one by the deadline's rule."""
    now = now_or(now)
    if code is not None:
        await access.unlock(uow, link_id, requester, code, now=now)
    async with uow:
        event = await access.manageable_event(uow, link_id, requester, now)
        if event.kind != "poll":
            raise PollDecided() if await uow.polls.options(event.id) else NotAPoll()
        poll = await _poll_view(uow, event)
        if number is None:
            option = best_option(poll.options)
        elif 1 <= number <= len(poll.options):
            option = poll.options[number - 1]
        else:
            raise InvalidField("option", "no_such_option", number=number, count=len(poll.options))
        if option.starts_at <= now:
            raise InvalidField("option", "past", instant=option.starts_at, timezone=event.timezone)
        decided = await _decide(uow, event, option, now)
        await uow.commit()
        return decided


async def close_due_polls(
    uow: SqlAlchemyUnitOfWork, *, now: datetime | None = None, limit: int = DUE_BATCH
) -> int:
    """Decide the polls whose deadline passed, each exactly once across processes; how many were."""
    now = now_or(now)
    async with uow:
        due = await uow.polls.due(now, limit)
        for event in due:
            poll = await _poll_view(uow, event)
            # Without a deadline a poll closes at its earliest time: that time is no longer a choice.
            ahead = [option for option in poll.options if option.starts_at > now]
            await _decide(uow, event, best_option(ahead or poll.options), now)
        try:
            await uow.commit()
        except StaleRow:
            raise ConcurrentChange() from None
        return len(due)


async def _decide(uow: SqlAlchemyUnitOfWork, event: Event, option: OptionView, now: datetime) -> Decided:
    """Inside a unit of work, on the locked poll: make it the event at ``option``, answers pre-filled."""
    event.kind = "event"
    event.starts_at, event.ends_at = option.starts_at, option.ends_at
    event.reminder_minutes = format_reminder_minutes(EVENT_REMINDERS)
    event.answers_closed = False
    event.updated_at = now
    try:
        await uow.events.flush()
    except StaleRow:
        raise ConcurrentChange() from None
    for stored in await uow.polls.options(event.id):
        stored.chosen = stored.id == option.id
    votes = await uow.polls.votes_of([option.id])
    free = event.capacity
    going: list[int] = []
    maybe: list[int] = []
    waiting: list[int] = []
    for cast in votes:
        if cast.answer == YES:
            status = GOING if free is None or free > 0 else WAITING
            if status == GOING and free is not None:
                free -= 1
        elif cast.answer == IF_NEED_BE:
            status = MAYBE
        else:
            continue
        {GOING: going, MAYBE: maybe, WAITING: waiting}[status].append(cast.user_id)
        await uow.rsvps.add(
            Rsvp(
                event_id=event.id,
                user_id=cast.user_id,
                name=cast.name,
                status=status,
                responded_at=cast.voted_at,
            )
        )
    await uow.rsvps.flush()
    chats = await uow.polls.mark_poll_cards(event.id)
    groups = [chat for chat in chats if chat < 0 or chat == event.chat_id]
    await uow.polls.add_notices(
        [
            Notice(event_id=event.id, kind=EVENT_CARD, chat_id=chat, state="pending", created_at=now)
            for chat in groups
        ]
        + [
            Notice(event_id=event.id, kind=DECIDED_DM, chat_id=user, state="pending", created_at=now)
            for user in (*going, *waiting, *maybe)
        ]
    )
    await reminders.plan(uow, event, now)
    await cards.changed(uow, event, now)
    view = event_view(event, await uow.rsvps.answers(event.id))
    return Decided(view, option, tuple(going), tuple(maybe), tuple(waiting))


async def edit_poll(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    requester: Requester,
    what: str,
    value: str | Sequence[str | datetime | dates.When],
    *,
    code: str | None = None,
    now: datetime | None = None,
    language: str = "en",
) -> EditedPoll:
    """Change a poll's title, or its times: votes on a time taken off go with it (and those voters are
    told); times kept keep their votes."""
    now = now_or(now)
    if code is not None:
        await access.unlock(uow, link_id, requester, code, now=now)
    if what not in ("title", "options"):
        raise InvalidField("poll", "unknown_part", text=str(what)[:20])
    async with uow:
        event = await access.manageable_event(uow, link_id, requester, now)
        if event.kind != "poll":
            raise PollDecided()
        dropped: set[int] = set()
        if what == "title":
            assert isinstance(value, str)
            event.title = clean_title(value)
        else:
            typed = [part.strip() for part in value.split("|")] if isinstance(value, str) else list(value)
            spans = parse_options(typed, event.timezone, now, language=language)
            if event.poll_closes_at is not None and event.poll_closes_at >= min(s.starts_at for s in spans):
                raise InvalidField(
                    "closes",
                    "after_first_option",
                    closes=event.poll_closes_at,
                    first=min(s.starts_at for s in spans),
                    timezone=event.timezone,
                )
            existing = await uow.polls.options(event.id)
            kept = {o.starts_at: o for o in existing}
            removed = [o for o in existing if o.starts_at not in {s.starts_at for s in spans}]
            for cast in await uow.polls.votes_of([o.id for o in removed]):
                if cast.answer in (YES, IF_NEED_BE):
                    dropped.add(cast.user_id)
            await uow.polls.remove_options([o.id for o in removed])
            new = []
            for number, span in enumerate(spans, start=1):
                if span.starts_at in kept:
                    kept[span.starts_at].position = number
                    kept[span.starts_at].ends_at = span.ends_at
                else:
                    new.extend(_options(event.id, [span], start=number))
            await uow.polls.add_options(new)
            event.starts_at = min(span.starts_at for span in spans)
            # Still voting for something else: not told their vote was dropped.
        event.updated_at = now
        try:
            await uow.events.flush()
        except StaleRow:
            raise ConcurrentChange() from None
        if dropped:
            await uow.polls.add_notices(
                [
                    Notice(event_id=event.id, kind=DROPPED_DM, chat_id=user, state="pending", created_at=now)
                    for user in sorted(dropped)
                ]
            )
        await cards.changed(uow, event, now)
        view = await _poll_view(uow, event)
        await uow.commit()
        return EditedPoll(view, len(dropped))


@dataclass(frozen=True, slots=True)
class DueNotice:
    notice_id: int
    kind: str
    chat_id: int
    event: EventView
    status: str | None  # for a private message after the decision: the person's answer now


async def claim_notices(
    uow: SqlAlchemyUnitOfWork, *, now: datetime | None = None, limit: int = 100
) -> list[DueNotice]:
    """Take up to ``limit`` notices for this process, with a lease; another takes them after it."""
    now = now_or(now)
    async with uow:
        claimed = await uow.polls.claim_notices(now, limit, now + NOTICE_LEASE)
        events = await uow.events.by_ids({n.event_id for n in claimed})
        answers = await uow.rsvps.answers_of(set(events))
        due = []
        for notice in claimed:
            event = events.get(notice.event_id)
            if event is None:
                continue
            mine = answers.get(event.id, [])
            status = next((a.status for a in mine if a.user_id == notice.chat_id), None)
            due.append(DueNotice(notice.id, notice.kind, notice.chat_id, event_view(event, mine), status))
        await uow.commit()
        return due


async def start_notice(uow: SqlAlchemyUnitOfWork, notice_id: int) -> bool:
    """Record that a notice goes out now; False if another process took it (it never goes twice)."""
    async with uow:
        fresh = await uow.polls.start_notice(notice_id)
        await uow.commit()
        return fresh
