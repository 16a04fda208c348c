"""An answer tap on PostgreSQL in one statement: record it, apply the capacity and the waitlist, and
mark the event's cards out of date, in a single round trip.

Taps are the hottest path in a group: every member taps. Locking the event and working in a
transaction costs five round trips or more; this statement does it in one, and stays exact under
contention by being optimistic. It bumps the event's ``card_version`` only if that is still the version
it read at its start. Every change to an event's answers bumps that version, and PostgreSQL re-checks
the condition on the newest row when another tap got there first (READ COMMITTED's re-evaluation of an
UPDATE's WHERE clause). So when the bump succeeds, everything the statement read was current and its
decision is right; when it does not, nothing was written and the caller runs it again. An answer is
stamped with the database's clock as it is written, after the event's row is taken, so a waitlist is in
the order answers landed, which is the order each person was told their place in.

SQLite takes the same rules in Python (``core.attendance``), one writer at a time; the integration
tests run every rule on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from core.storage.views import CompiledForAsyncpg, for_asyncpg


def schedule_card_sync(event_id: str, source: str) -> str:
    """The statement (for a CTE of a tap) that makes an event's cards due for an edit, as
    ``CardSyncRepository.schedule`` does: due now unless already due, and its generation bumped, so a
    sync round that read the event before this change does not drop the work."""
    return f"""
    INSERT INTO card_syncs (event_id, due_at)
    SELECT {event_id}, CAST(:now AS TIMESTAMPTZ) FROM {source}
    ON CONFLICT (event_id) DO UPDATE SET generation = card_syncs.generation + 1
"""


ANSWER = text(
    f"""
WITH snap AS (
    SELECT id, capacity, card_version, cancelled_at, starts_at, answers_close_at, link_id, title, timezone
    FROM events WHERE link_id = CAST(:link AS VARCHAR) AND kind = 'event'
),
ev AS (
    UPDATE events e SET card_version = e.card_version + 1
    FROM snap
    WHERE e.id = snap.id AND e.card_version = snap.card_version
      AND snap.cancelled_at IS NULL
      AND coalesce(snap.answers_close_at, snap.starts_at) > CAST(:now AS TIMESTAMPTZ)
      AND snap.starts_at > CAST(:now AS TIMESTAMPTZ)
    RETURNING e.id, e.capacity
),
mine AS (
    SELECT r.id, r.status, r.responded_at, r.guests
    FROM rsvps r JOIN snap ON r.event_id = snap.id
    WHERE r.user_id = CAST(:user AS BIGINT)
),
taken AS (
    SELECT coalesce(sum(1 + r.guests), 0) AS seats
    FROM rsvps r JOIN snap ON r.event_id = snap.id
    WHERE r.status = 'going' AND r.user_id <> CAST(:user AS BIGINT)
),
decided AS (
    SELECT ev.id AS event_id, ev.capacity, m.status AS previous,
        CASE
            WHEN CAST(:answer AS VARCHAR) <> 'going' THEN CAST(:answer AS VARCHAR)
            WHEN m.status IN ('going', 'waiting') THEN m.status
            WHEN ev.capacity IS NOT NULL AND t.seats + 1 + coalesce(m.guests, 0) > ev.capacity THEN 'waiting'
            ELSE 'going'
        END AS status,
        coalesce(m.guests, 0) AS guests
    FROM ev CROSS JOIN taken t LEFT JOIN mine m ON true
),
saved AS (
    INSERT INTO rsvps (event_id, user_id, name, status, responded_at, guests)
    SELECT event_id, CAST(:user AS BIGINT), CAST(:name AS VARCHAR), status, clock_timestamp(),
        CASE WHEN status IN ('going', 'waiting') THEN guests ELSE 0 END
    FROM decided
    ON CONFLICT (event_id, user_id) DO UPDATE SET
        name = excluded.name,
        status = excluded.status,
        guests = excluded.guests,
        responded_at = CASE
            WHEN rsvps.status = excluded.status THEN rsvps.responded_at ELSE excluded.responded_at
        END
    RETURNING id
),
freed AS (
    SELECT d.event_id,
        CASE
            WHEN d.previous = 'going' AND d.status <> 'going' AND d.capacity IS NULL THEN 1000000000
            WHEN d.previous = 'going' AND d.status <> 'going' THEN greatest(d.capacity - t.seats, 0)
            ELSE 0
        END AS seats
    FROM decided d CROSS JOIN taken t
),
queue AS (
    SELECT w.id, w.responded_at,
        sum(1 + w.guests) OVER (ORDER BY w.responded_at, w.id) AS seats_so_far,
        count(*) OVER (ORDER BY w.responded_at, w.id) AS place
    FROM rsvps w JOIN freed f ON w.event_id = f.event_id
    WHERE w.status = 'waiting' AND w.user_id <> CAST(:user AS BIGINT)
),
first_waiting AS (
    -- The longest run from the head of the queue that fits: nobody overtakes a party that does not.
    SELECT q.id FROM queue q
    WHERE q.seats_so_far <= (SELECT seats FROM freed)
      AND NOT EXISTS (
          SELECT 1 FROM queue earlier
          WHERE earlier.place < q.place AND earlier.seats_so_far > (SELECT seats FROM freed)
      )
),
promoted AS (
    UPDATE rsvps r SET status = 'going'
    FROM first_waiting
    WHERE r.id = first_waiting.id
    RETURNING r.user_id, r.name, r.guests, r.responded_at, r.id
),
synced AS ({schedule_card_sync("event_id", "decided")})
SELECT
    snap.link_id, snap.title, snap.starts_at, snap.timezone, snap.cancelled_at,
    coalesce(snap.answers_close_at, snap.starts_at) AS closes_at,
    (SELECT count(*) FROM ev) AS applied,
    (SELECT status FROM decided) AS status,
    (SELECT CASE WHEN status IN ('going', 'waiting') THEN guests ELSE 0 END FROM decided) AS guests,
    (
        SELECT count(*) + 1 FROM rsvps w
        WHERE w.event_id = snap.id AND w.status = 'waiting' AND w.user_id <> CAST(:user AS BIGINT)
          AND (
              (SELECT status FROM mine) IS DISTINCT FROM 'waiting'
              OR (w.responded_at, w.id) < (SELECT m.responded_at, m.id FROM mine m)
          )
    ) AS position,
    (SELECT array_agg(p.user_id ORDER BY p.responded_at, p.id) FROM promoted p) AS promoted_ids,
    (SELECT array_agg(p.name ORDER BY p.responded_at, p.id) FROM promoted p) AS promoted_names,
    (SELECT array_agg(p.guests ORDER BY p.responded_at, p.id) FROM promoted p) AS promoted_guests
FROM snap
"""
)

ANSWER_ASYNCPG: CompiledForAsyncpg = for_asyncpg(ANSWER)


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """What the statement found and did. ``applied`` False: another change came first; run it again."""

    link_id: str
    title: str
    starts_at: datetime
    timezone: str
    cancelled: bool
    closes_at: datetime
    applied: bool
    status: str | None
    guests: int
    position: int
    promoted: tuple[tuple[int, str, int], ...]

    @classmethod
    def from_row(cls, row: Any) -> AnswerRow:
        get = row.__getitem__  # an asyncpg Record or a SQLAlchemy row mapping
        ids, names, guests = (
            get("promoted_ids") or [],
            get("promoted_names") or [],
            get("promoted_guests") or [],
        )
        return cls(
            link_id=get("link_id"),
            title=get("title"),
            starts_at=get("starts_at"),
            timezone=get("timezone"),
            cancelled=get("cancelled_at") is not None,
            closes_at=get("closes_at"),
            applied=bool(get("applied")),
            status=get("status"),
            guests=int(get("guests") or 0),
            position=int(get("position")),
            promoted=tuple(zip(ids, names, guests, strict=True)),
        )
