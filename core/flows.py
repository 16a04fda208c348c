"""Where a person is in a guided flow in a private chat, kept in the database so any process continues it.

A flow is a step name and the answers so far (plain JSON). What the steps are, and what each does with
the next message, is the bot's business (``bot/handlers/flows.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import now_or
from core.storage.models import Conversation
from core.storage.uow import SqlAlchemyUnitOfWork

FLOW_TTL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class FlowState:
    step: str
    data: dict[str, object]


async def get_flow(
    uow: SqlAlchemyUnitOfWork, chat_id: int, user_id: int, *, now: datetime | None = None
) -> FlowState | None:
    """Where a user is in a guided flow in this chat, if anywhere (expired flows count as none)."""
    async with uow:
        row = await uow.flows.get(chat_id, user_id)
        if row is None or row.expires_at <= now_or(now) or not row.step:
            return None
        return FlowState(row.step, dict(row.data))


async def save_flow(
    uow: SqlAlchemyUnitOfWork,
    chat_id: int,
    user_id: int,
    step: str,
    data: dict[str, object],
    *,
    now: datetime | None = None,
) -> None:
    """Store a user's place in a guided flow; it expires an hour after its last step."""
    expires_at = now_or(now) + FLOW_TTL
    async with uow:
        row = await uow.flows.get(chat_id, user_id)
        if row is None:
            await uow.flows.add(
                Conversation(chat_id=chat_id, user_id=user_id, step=step, data=data, expires_at=expires_at)
            )
        else:
            row.step, row.data, row.expires_at = step, data, expires_at
        await uow.commit()


async def take_flow(
    uow: SqlAlchemyUnitOfWork, chat_id: int, user_id: int, step: str, *, now: datetime | None = None
) -> FlowState | None:
    """End the flow if it is at ``step`` and return its state; of two racing callers only one gets it."""
    async with uow:
        row = await uow.flows.get(chat_id, user_id, for_update=True)
        if row is None or row.step != step or row.expires_at <= now_or(now):
            return None
        state = FlowState(row.step, dict(row.data))
        await uow.flows.remove(chat_id, user_id)
        await uow.commit()
        return state


async def end_flow(uow: SqlAlchemyUnitOfWork, chat_id: int, user_id: int) -> bool:
    """Leave the guided flow; True if there was one."""
    async with uow:
        row = await uow.flows.get(chat_id, user_id)
        if row is None:
            return False
        await uow.flows.remove(chat_id, user_id)
        await uow.commit()
        return bool(row.step) and row.expires_at > now_or(None)
