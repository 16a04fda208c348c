"""Claim links: the one-time way a creator collects a fresh code when no private message could reach them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from core import access, codes
from core.clock import now_or
from core.errors import ClaimNotFound, ClaimNotYours, NotAllowed
from core.service import NewCode
from core.storage.models import CodeClaim
from core.storage.uow import SqlAlchemyUnitOfWork
from core.storage.views import event_view

CLAIM_TTL = timedelta(hours=24)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_claim(
    uow: SqlAlchemyUnitOfWork, link_id: str, user_id: int, *, now: datetime | None = None
) -> str:
    """Make a single-use token with which ``user_id`` (and only they) can collect a fresh code.

    A claim lasts a day, until used, or until the event's code is replaced some other way.
    """
    now = now_or(now)
    token = secrets.token_urlsafe(24)
    async with uow:
        event = await access.find_event(uow, link_id)
        if event.creator_user_id != user_id:
            raise NotAllowed()
        await uow.claims.add(
            CodeClaim(
                token_hash=_token_hash(token),
                event_id=event.id,
                user_id=user_id,
                expires_at=now + CLAIM_TTL,
                code_version=event.code_version,
            )
        )
        await uow.commit()
    return token


async def redeem_claim(
    uow: SqlAlchemyUnitOfWork,
    token: str,
    user_id: int,
    *,
    rounds: int = codes.DEFAULT_ROUNDS,
    now: datetime | None = None,
) -> NewCode:
    """Use a claim token: the event gets a new code, handed to the claim's own user, once."""
    now = now_or(now)
    secret_code, code_hash = await codes.new_code_and_hash(rounds)
    async with uow:
        claim = await uow.claims.get_by_token_hash(_token_hash(token))
        if claim is None or claim.used_at is not None or claim.expires_at <= now:
            raise ClaimNotFound()
        if claim.user_id != user_id:
            raise ClaimNotYours()
        event = await uow.events.get(claim.event_id, for_update=True)
        if event is None:
            raise ClaimNotFound()
        access.ensure_not_cancelled(event)
        claim.used_at = now
        if not await uow.events.replace_code(
            event, expected_version=claim.code_version, code_hash=code_hash, now=now
        ):
            raise ClaimNotFound()  # a newer code was made since: this claim ended with the old one
        await uow.unlocks.end_all(event.id)
        view = event_view(event, await uow.rsvps.answers(event.id))
        await uow.commit()
        return NewCode(view, secret_code)
