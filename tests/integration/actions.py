"""Short ways for the integration tests to do what a person does through the bot."""

from __future__ import annotations

from datetime import datetime

from core import service
from core.access import Requester
from core.events import EventView, Field


async def set_capacity(uow, link: str, who: Requester, seats: int) -> service.Edited:
    return await service.edit_event(uow, link, who, Field.CAPACITY, str(seats))


async def set_reminders(
    uow, link: str, who: Requester, minutes: tuple[int, ...], *, now: datetime | None = None
) -> EventView:
    typed = " ".join(f"{m}m" for m in minutes) or "off"
    return (await service.edit_event(uow, link, who, Field.REMINDERS, typed, now=now)).event


async def edit(uow, link: str, who: Requester, field: str, value: str, **kwargs) -> EventView:
    return (await service.edit_event(uow, link, who, Field(field), value, **kwargs)).event
