"""The one notion of "now" and of UTC instants the rest of the code uses."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def now_or(now: datetime | None) -> datetime:
    """``now`` if a caller (a test, a batch) fixed it, else the current instant."""
    return now if now is not None else datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC instant; a naive ``moment`` is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
