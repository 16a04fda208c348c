"""Claim links: the one-time way a creator collects a fresh code when no private message could reach them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from core import codes
from core.errors import ClaimNotFound, EventNotFound, NotAllowed
from core.service import CreatedEvent, current_time, find_event, to_view
from core.storage.models import CodeClaim
from core.storage.uow import SqlAlchemyUnitOfWork

CLAIM_TTL = timedelta(hours=24)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_claim(
    uow: SqlAlchemyUnitOfWork, link_id: str, user_id: int, *, now: datetime | None = None
) -> str:
    """Make a single-use token with which ``user_id`` (and only they) can collect a fresh code."""
    now = current_time(now)
    token = secrets.token_urlsafe(24)
    async with uow:
        event = await find_event(uow, link_id)
        if event.creator_user_id != user_id:
            raise NotAllowed()
        await uow.claims.add(
            CodeClaim(
                token_hash=_token_hash(token), event_id=event.id, user_id=user_id, expires_at=now + CLAIM_TTL
            )
        )
        await uow.commit()
    return token


async def redeem_claim(
    uow: SqlAlchemyUnitOfWork, token: str, user_id: int, *, rounds: int = 12, now: datetime | None = None
) -> CreatedEvent:
    """Use a claim token: the event gets a new code, handed to the claim's own user, once."""
    now = current_time(now)
    secret_code = codes.new_secret_code()
    code_hash = await codes.hash_code(codes.normalise_code(secret_code) or "", rounds)
    async with uow:
        claim = await uow.claims.get_by_token_hash(_token_hash(token))
        if claim is None or claim.used_at is not None or claim.expires_at <= now:
            raise ClaimNotFound()
        if claim.user_id != user_id:
            raise NotAllowed("This link is for the event's creator only.")
        event = await uow.events.get(claim.event_id)
        if event is None or event.cancelled_at is not None:
            raise EventNotFound()
        claim.used_at = now
        event.code_hash = code_hash
        event.updated_at = now
        await uow.commit()
        return CreatedEvent(to_view(event), secret_code)
