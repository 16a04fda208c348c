"""What every handler can reach: settings and the database, through a typed context."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import CallbackContext, ExtBot

from bot.card_sync import CardSync
from bot.flood import FloodGuard
from bot.languages import ChatLanguages
from bot.limits import SharedRateLimiter
from core.config import Settings
from core.storage.direct import DirectViews
from core.storage.engine import SessionFactory
from core.storage.uow import SqlAlchemyUnitOfWork

# Each create hashes a code with bcrypt (one core for ~0.25 s); more at once only queue there.
CREATES_AT_ONCE = 2


@dataclass
class BotData:
    """Created in ``post_init``, closed in ``post_shutdown``."""

    settings: Settings
    engine: AsyncEngine | None = None
    session_factory: SessionFactory | None = None
    autocommit_factory: SessionFactory | None = None
    direct_views: DirectViews | None = None
    bot_username: str = ""
    card_sync: CardSync = field(init=False)
    flood_guard: FloodGuard = field(default_factory=FloodGuard)
    languages: ChatLanguages = field(default_factory=ChatLanguages)
    create_gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CREATES_AT_ONCE))
    gc_thresholds: tuple[int, int, int] | None = None  # the collector's settings before start-up
    rate_limiter: SharedRateLimiter | None = None
    background: bool = True  # run the card sync loop (tests drive it themselves)
    # Names this process among those sharing the database, for the shared sending budget.
    process_id: str = field(
        default_factory=lambda: f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )

    def __post_init__(self) -> None:
        self.card_sync = CardSync(
            self,
            poll_seconds=self.settings.card_sync_poll_seconds,
            rest_seconds=self.settings.card_edit_interval_seconds,
            lease_seconds=self.settings.card_sync_lease_seconds,
        )

    def uow(self) -> SqlAlchemyUnitOfWork:
        """Return a fresh unit of work; one per service call, never shared between tasks."""
        if self.session_factory is None:
            raise RuntimeError("the database is not open yet")
        return SqlAlchemyUnitOfWork(self.session_factory, self.autocommit_factory, self.direct_views)


class SkedjitContext(CallbackContext[ExtBot[None], dict, dict, BotData]):
    """The context every handler gets: ``context.bot_data`` is the typed ``BotData``."""
