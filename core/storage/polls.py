"""A poll's options and votes, the vote tap in one statement, and notices owed after a decision.

A vote is a tap on a group card, as hot as an answer: on PostgreSQL it is one statement. It takes the
poll's row first (bumping its ``card_version``, so the cards are known to be out of date), then upserts
the vote, computing the next answer in SQL (yes → if need be → no → yes) from the row as it is when the
statement gets it. Every vote on a poll, and its decision, queue on the poll's row, so thirty people
tapping at once, or one person tapping ten times, lose no tap; and a vote that lands after the decision
changes nothing. SQLite takes the same rules through the session (``core.polls``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.answers import schedule_card_sync
from core.storage.models import Event, Notice, PollOption, PollVote, PostedCard
from core.storage.views import CompiledForAsyncpg, for_asyncpg

VOTE = text(
    f"""
WITH snap AS (
    SELECT id, kind, cancelled_at, coalesce(poll_closes_at, starts_at) AS closes_at, link_id, title, timezone
    FROM events WHERE link_id = CAST(:link AS VARCHAR)
),
ev AS (
    UPDATE events e SET card_version = e.card_version + 1
    FROM snap
    WHERE e.id = snap.id AND e.kind = 'poll' AND e.cancelled_at IS NULL
      AND coalesce(e.poll_closes_at, e.starts_at) > CAST(:now AS TIMESTAMPTZ)
      AND EXISTS (
          SELECT 1 FROM poll_options o WHERE o.id = CAST(:option AS INTEGER) AND o.event_id = e.id
      )
    RETURNING e.id
),
opt AS (
    -- Locked once the poll's row is ours: an edit that took this time off before us has removed it,
    -- and a removed row is not locked, so the vote goes nowhere instead of naming a time that is gone.
    SELECT o.id FROM poll_options o JOIN ev ON o.event_id = ev.id
    WHERE o.id = CAST(:option AS INTEGER)
    FOR SHARE OF o
),
saved AS (
    INSERT INTO poll_votes (option_id, user_id, name, answer, voted_at, tap_id)
    SELECT opt.id, CAST(:user AS BIGINT), CAST(:name AS VARCHAR), 'yes', clock_timestamp(), CAST(:tap AS VARCHAR)
    FROM opt
    ON CONFLICT (option_id, user_id) DO UPDATE SET
        answer = CASE
            WHEN poll_votes.tap_id = excluded.tap_id THEN poll_votes.answer  -- the same tap again
            WHEN poll_votes.answer = 'yes' THEN 'maybe'
            WHEN poll_votes.answer = 'maybe' THEN 'no'
            ELSE 'yes'
        END,
        name = excluded.name,
        voted_at = CASE WHEN poll_votes.tap_id = excluded.tap_id THEN poll_votes.voted_at ELSE excluded.voted_at END,
        tap_id = excluded.tap_id
    RETURNING answer
),
synced AS ({schedule_card_sync("id", "ev")})
SELECT snap.link_id, snap.title, snap.timezone, snap.kind, snap.cancelled_at, snap.closes_at,
    (SELECT answer FROM saved) AS answer,
    (
        SELECT o.starts_at FROM poll_options o
        WHERE o.id = CAST(:option AS INTEGER) AND o.event_id = snap.id
    ) AS option_starts_at
FROM snap
"""
)

VOTE_ASYNCPG: CompiledForAsyncpg = for_asyncpg(VOTE)


@dataclass(frozen=True, slots=True)
class VoteRow:
    """What the vote statement found and did; ``answer`` None: nothing was written (see the rest why)."""

    link_id: str
    title: str
    timezone: str
    kind: str
    cancelled: bool
    closes_at: datetime
    answer: str | None
    option_starts_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> VoteRow:
        get = row.__getitem__
        return cls(
            link_id=get("link_id"),
            title=get("title"),
            timezone=get("timezone"),
            kind=get("kind"),
            cancelled=get("cancelled_at") is not None,
            closes_at=_aware(get("closes_at")),
            answer=get("answer"),
            option_starts_at=_aware(get("option_starts_at")) if get("option_starts_at") else None,
        )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class OptionRow(NamedTuple):
    id: int
    event_id: int
    position: int
    starts_at: datetime
    ends_at: datetime | None
    chosen: bool


class VoteRowLite(NamedTuple):
    option_id: int
    user_id: int
    name: str
    answer: str


class PollRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def options(self, event_id: int) -> list[PollOption]:
        query = select(PollOption).where(PollOption.event_id == event_id).order_by(PollOption.position)
        return list((await self.session.scalars(query)).all())

    async def read(self, event_ids: set[int]) -> dict[int, tuple[list[OptionRow], list[VoteRowLite]]]:
        """Per poll, its options and its votes (in the order cast), in one statement of plain rows:
        what card sync reads for every poll whose cards it edits."""
        found: dict[int, tuple[list[OptionRow], list[VoteRowLite]]] = {}
        if not event_ids:
            return found
        o, v = PollOption.__table__, PollVote.__table__
        query = (
            select(
                o.c.id,
                o.c.event_id,
                o.c.position,
                o.c.starts_at,
                o.c.ends_at,
                o.c.chosen,
                v.c.user_id,
                v.c.name,
                v.c.answer,
            )
            .select_from(o.outerjoin(v, v.c.option_id == o.c.id))
            .where(o.c.event_id.in_(event_ids))
            .order_by(o.c.event_id, v.c.voted_at, v.c.user_id)
        )
        seen: set[int] = set()
        for row in (await self.session.execute(query)).all():
            options, votes = found.setdefault(row.event_id, ([], []))
            if row.id not in seen:
                seen.add(row.id)
                options.append(
                    OptionRow(row.id, row.event_id, row.position, row.starts_at, row.ends_at, row.chosen)
                )
            if row.user_id is not None:
                votes.append(VoteRowLite(row.id, row.user_id, row.name, row.answer))
        return found

    async def votes_of(self, option_ids: Sequence[int]) -> list[PollVote]:
        """The votes on these options, in the order they were cast (the waitlist's order)."""
        if not option_ids:
            return []
        query = (
            select(PollVote)
            .where(PollVote.option_id.in_(option_ids))
            .order_by(PollVote.voted_at, PollVote.user_id)
        )
        return list((await self.session.scalars(query)).all())

    async def add_options(self, options: Sequence[PollOption]) -> None:
        self.session.add_all(options)
        await self.session.flush()

    async def remove_options(self, option_ids: Sequence[int]) -> None:
        if option_ids:
            await self.session.execute(delete(PollVote).where(PollVote.option_id.in_(option_ids)))
            await self.session.execute(delete(PollOption).where(PollOption.id.in_(option_ids)))

    async def get_vote(self, option_id: int, user_id: int) -> PollVote | None:
        return await self.session.get(PollVote, (option_id, user_id))

    async def add_vote(self, vote: PollVote) -> None:
        self.session.add(vote)
        await self.session.flush()

    async def due(self, now: datetime, limit: int) -> Sequence[Event]:
        """Polls whose deadline passed, locked; SKIP LOCKED: a poll another process is deciding is its."""
        query = (
            select(Event)
            .where(
                Event.kind == "poll",
                Event.cancelled_at.is_(None),
                or_(
                    Event.poll_closes_at <= now,
                    and_(Event.poll_closes_at.is_(None), Event.starts_at <= now),
                ),
            )
            .order_by(Event.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(query)).all()

    async def mark_poll_cards(self, event_id: int) -> list[int]:
        """The cards posted so far show the poll: they go on doing so. Returns the group chats they are in."""
        await self.session.execute(
            update(PostedCard).where(PostedCard.event_id == event_id).values(shows_poll=True)
        )
        query = (
            select(PostedCard.chat_id)
            .where(PostedCard.event_id == event_id, PostedCard.chat_id.is_not(None))
            .distinct()
        )
        return sorted(chat for chat in (await self.session.scalars(query)).all() if chat is not None)

    async def poll_cards(self, card_ids: Sequence[int]) -> set[int]:
        if not card_ids:
            return set()
        query = select(PostedCard.id).where(PostedCard.id.in_(card_ids), PostedCard.shows_poll.is_(True))
        return set((await self.session.scalars(query)).all())

    async def add_notices(self, notices: Sequence[Notice]) -> None:
        self.session.add_all(notices)
        await self.session.flush()

    async def claim_notices(self, now: datetime, limit: int, lease_until: datetime) -> list[Notice]:
        query = (
            select(Notice)
            .where(
                or_(
                    Notice.state == "pending",
                    and_(Notice.state == "sending", Notice.lease_until < now),
                )
            )
            .order_by(Notice.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        notices = list((await self.session.scalars(query)).all())
        for notice in notices:
            notice.state = "sending"
            notice.lease_until = lease_until
        await self.session.flush()
        return notices

    async def start_notice(self, notice_id: int) -> bool:
        """Mark it sent before it goes: False when another process already took it."""
        result = await self.session.execute(
            update(Notice).where(Notice.id == notice_id, Notice.state == "sending").values(state="sent")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
