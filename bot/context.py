"""What every handler can reach: settings and the database, through a typed context."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import CallbackContext, ExtBot

from bot.cards import CardRefresher
from bot.flood import FloodGuard
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
    refresher: CardRefresher = field(init=False)
    flood_guard: FloodGuard = field(default_factory=FloodGuard)
    create_gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CREATES_AT_ONCE))
    gc_thresholds: tuple[int, int, int] | None = None  # the collector's settings before start-up

    def __post_init__(self) -> None:
        self.refresher = CardRefresher(self.settings.card_edit_interval_seconds)

    def uow(self) -> SqlAlchemyUnitOfWork:
        """Return a fresh unit of work; one per service call, never shared between tasks."""
        if self.session_factory is None:
            raise RuntimeError("the database is not open yet")
        return SqlAlchemyUnitOfWork(self.session_factory, self.autocommit_factory, self.direct_views)


class SkedjitContext(CallbackContext[ExtBot[None], dict, dict, BotData]):
    """The context every handler gets: ``context.bot_data`` is the typed ``BotData``."""
