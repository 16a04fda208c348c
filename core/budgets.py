"""Telegram's sending limits, kept by every bot process together through the database.

Per group, a GCRA ("generic cell rate") budget: each message into the group reserves the next slot in
one statement, and learns when it may go. Overall, each process takes an equal share of the bot's
rate: processes say every few seconds that they are alive, and count how many are.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.storage.uow import SqlAlchemyUnitOfWork


async def reserve_group_slot(
    uow: SqlAlchemyUnitOfWork, chat_id: int, *, now: float, interval: float, burst: int
) -> float:
    """Reserve the group's next message; return when it may be sent (seconds since the epoch).

    ``burst`` messages may go at once, then one every ``interval`` seconds: in any window of
    ``burst * interval`` seconds at most ``2 * burst`` messages go out.
    """
    async with uow.single_statement():
        full_at = await uow.budgets.reserve(chat_id, now, interval)
        await uow.commit()
    return max(now, full_at - burst * interval)


async def heartbeat(
    uow: SqlAlchemyUnitOfWork, process_id: str, *, now: datetime, silent_after: timedelta
) -> int:
    """Say this process is alive; return how many processes are (those silent for long are gone)."""
    async with uow:
        alive = await uow.budgets.heartbeat(process_id, now, now - silent_after)
        await uow.commit()
        return max(1, alive)


async def leave(uow: SqlAlchemyUnitOfWork, process_id: str) -> None:
    """This process is stopping: the others may take its share."""
    async with uow:
        await uow.budgets.leave(process_id)
        await uow.commit()
