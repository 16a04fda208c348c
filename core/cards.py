"""Event cards the bot posted, and keeping every copy up to date from the database.

A change to an event (an edit, a cancellation, an answer) bumps its ``card_version`` and leaves a
``card_syncs`` row, in the change's own transaction. Any bot process claims due rows with a lease
(``claim_stale``), edits the cards that show an older version, and reports what happened
(``finish``): which card now shows which version, which message is gone, which chat moved, which edit
failed and must be tried again later. Nothing lives in one process's memory, so a restart, an outage
or a SIGKILL delays an edit but never loses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core import access
from core.clock import now_or, utcnow
from core.events import EventView
from core.storage.models import Event
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import CardRecord, event_view

if TYPE_CHECKING:
    from core.polls import PollView

# How long the creating process alone may post an event's first card. Long enough to post and record
# it; short enough that a redelivery after a crash still answers within seconds.
PUBLISH_LEASE = timedelta(seconds=10)
# How long a claimed event's cards stay with the process that claimed them (CARD_SYNC_LEASE_SECONDS).
# Editing them can wait on a group's flood limit; if the process dies, another takes over after this.
SYNC_LEASE = timedelta(seconds=30)
# A card whose edits keep failing is retried with growing pauses, then given up on.
RETRY_FIRST = timedelta(seconds=2)
RETRY_MAX = timedelta(minutes=5)
MAX_FAILURES = 8


async def changed(uow: SqlAlchemyUnitOfWork, event: Event | Sequence[Event], now: datetime) -> None:
    """Inside a unit of work: the event (or each of these events) changed in a way its cards show;
    have every copy edited. Two statements however many events."""
    events = [event] if isinstance(event, Event) else list(event)
    if not events:
        return
    await uow.events.card_changed(events)
    await uow.card_syncs.schedule((e.id for e in events), now)


@dataclass(frozen=True, slots=True)
class CardRef:
    chat_id: int | None
    message_id: int | None
    inline_message_id: str | None
    language: str | None = None  # a card sent inline: the language it was written in


@dataclass(frozen=True, slots=True)
class StaleCard:
    card_id: int
    ref: CardRef
    failures: int
    shows_poll: bool = False  # a poll's card from before it was decided: it shows the decision


@dataclass(frozen=True, slots=True)
class CardWork:
    """An event as it is now, and the copies of its card that show something older."""

    event_id: int
    event: EventView
    cards: tuple[StaleCard, ...]
    # People who may manage the event (its creator, and unlocks): the only ones whose private copies
    # show names when the event hides its list.
    managers: frozenset[int] = frozenset()
    poll: PollView | None = None  # the event is a poll not decided yet: its cards show the poll


@dataclass(slots=True)
class CardOutcome:
    """What editing one card did. Exactly one of the flags, or none: the edit failed, try again."""

    card_id: int
    shown: bool = False  # it shows the version rendered (edited, or already the same)
    gone: bool = False  # the message no longer exists, or the bot may not touch it: forget it
    moved_to: int | None = None  # the group became a supergroup with this id; already edited there


@dataclass(frozen=True, slots=True)
class Claimed:
    work: list[CardWork]
    next_due: datetime | None = field(default=None)  # the earliest sync not claimable yet, if any


async def record_card(
    uow: SqlAlchemyUnitOfWork,
    link_id: str,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
    inline_message_id: str | None = None,
    version: int = 0,
    language: str | None = None,
) -> None:
    """Remember a message that shows an event's card (at ``version``), so later changes reach it;
    ``language`` for a card sent inline, whose chat is never known."""
    await uow.record_card(
        CardRecord(link_id, chat_id, message_id, inline_message_id, utcnow(), version, language)
    )


async def claim_stale(
    uow: SqlAlchemyUnitOfWork,
    *,
    now: datetime | None = None,
    limit: int = 50,
    lease: timedelta = SYNC_LEASE,
) -> Claimed:
    """Lease up to ``limit`` events whose cards are due for an edit, with what each card must show.

    Events whose every card is up to date (their rest after an edit is over) are done with here.
    """
    now = now_or(now)
    async with uow.single_statement():
        generations = await uow.card_syncs.claim(now, limit, now + lease)
        await uow.commit()
    event_ids = list(generations)
    if not event_ids:
        async with uow.single_statement():
            return Claimed([], await uow.card_syncs.next_due())
    # Reads that need no common snapshot: the cards read here are edited to the event read here, and
    # any change after that leaves them due again.
    async with uow.single_statement():
        events = await uow.events.by_ids(set(event_ids))
        answers = await uow.rsvps.answers_of(set(events))
        stale = await uow.cards.stale_of({event.id: event.card_version for event in events.values()})
        hidden = {event.id for event in events.values() if event.hide_names}
        holders = await uow.unlocks.holders(hidden, now)
        views = {event_id: event_view(event, answers.get(event_id, ())) for event_id, event in events.items()}
        polls = await _polls(uow, {i: v for i, v in views.items() if v.is_poll and i in stale})
        work = [
            CardWork(
                event_id,
                views[event_id],
                tuple(
                    StaleCard(
                        card.id,
                        CardRef(card.chat_id, card.message_id, card.inline_message_id, card.language),
                        card.failures,
                        card.shows_poll,
                    )
                    for card in stale[event_id]
                ),
                _managers(events[event_id].creator_user_id, event_id, holders),
                polls.get(event_id),
            )
            for event_id in event_ids
            if event_id in stale
        ]
    if idle := {event_id: generations[event_id] for event_id in event_ids if event_id not in stale}:
        async with uow.single_statement():  # rested with nothing new: done
            await uow.card_syncs.drop(idle)
            await uow.commit()
    return Claimed(work)


async def _polls(uow: SqlAlchemyUnitOfWork, views: dict[int, EventView]) -> dict[int, PollView]:
    if not views:
        return {}
    from core.polls import polls_of  # core.polls builds on this module

    return await polls_of(uow, views)


def _managers(creator: int | None, event_id: int, holders: set[tuple[int, int]]) -> frozenset[int]:
    people = {user for held_event, user in holders if held_event == event_id}
    return frozenset(people if creator is None else people | {creator})


async def renew(
    uow: SqlAlchemyUnitOfWork, event_id: int, *, lease: timedelta, now: datetime | None = None
) -> None:
    """Keep a claimed event's lease while its cards are still being edited (waiting on flood limits)."""
    async with uow.single_statement():
        await uow.card_syncs.renew(event_id, now_or(now) + lease)
        await uow.commit()


async def finish(
    uow: SqlAlchemyUnitOfWork,
    work: CardWork,
    outcomes: list[CardOutcome],
    *,
    rest: timedelta,
    now: datetime | None = None,
) -> list[StaleCard]:
    """Record what editing ``work``'s cards did; return the cards given up on after too many failures.

    The event then rests for ``rest`` (the least time between two edits of one card) before changes
    made meanwhile are shown, in one more edit; a failed edit is tried again after a growing pause.
    """
    now = now_or(now)
    given_up: list[StaleCard] = []
    retry_in: timedelta | None = None
    by_id = {card.card_id: card for card in work.cards}
    async with uow:
        cards = await uow.cards.by_ids([outcome.card_id for outcome in outcomes])
        for outcome in outcomes:
            card = cards.get(outcome.card_id)
            if card is None:
                continue
            if outcome.moved_to is not None:
                card.chat_id = outcome.moved_to
            if outcome.gone:
                await uow.cards.remove(card)
            elif outcome.shown or outcome.moved_to is not None:
                card.shown_version = max(card.shown_version, work.event.card_version)
                card.failures = 0
            else:
                card.failures += 1
                if card.failures >= MAX_FAILURES:
                    given_up.append(by_id[card.id])
                    await uow.cards.remove(card)
                    continue
                pause = min(RETRY_FIRST * 2 ** (card.failures - 1), RETRY_MAX)
                retry_in = pause if retry_in is None else min(retry_in, pause)
        await uow.card_syncs.release(work.event_id, now + max(rest, retry_in or timedelta(0)))
        await uow.commit()
    return given_up


async def close_due_answers(
    uow: SqlAlchemyUnitOfWork, *, now: datetime | None = None, limit: int = 500
) -> int:
    """Events whose answers closed (their deadline passed, or they began): have their cards say so."""
    now = now_or(now)
    async with uow:
        closed = await uow.events.close_due_answers(now, limit)
        await uow.card_syncs.schedule(closed, now)
        await uow.commit()
    return len(closed)


async def claim_publication(
    uow: SqlAlchemyUnitOfWork, link_id: str, chat_id: int, *, now: datetime | None = None
) -> Publication:
    """For a repeated create: post the card only if nobody has, and nobody is about to."""
    now = now_or(now)
    async with uow:
        event = await access.find_event(uow, link_id, for_update=True)
        if any(card.chat_id == chat_id for card in await uow.cards.for_event(event.id)):
            return Publication(post=False)
        if event.publishing_until is not None and event.publishing_until > now:
            return Publication(post=False, wait=(event.publishing_until - now).total_seconds())
        await uow.events.set_publishing_until(event.id, now + PUBLISH_LEASE)
        await uow.commit()
        return Publication(post=True)


@dataclass(frozen=True, slots=True)
class Publication:
    """What a repeated request to create an event should do about its card in one chat."""

    post: bool  # this caller now holds the lease: post the card (and offer the code)
    wait: float = 0.0  # seconds until another holder's lease ends; 0 with post=False: already posted


async def posted_cards(uow: SqlAlchemyUnitOfWork, link_id: str) -> list[CardRef]:
    """Every message known to show this event's card."""
    async with uow.single_statement():
        return [
            CardRef(c.chat_id, c.message_id, c.inline_message_id) for c in await uow.cards.for_link(link_id)
        ]
