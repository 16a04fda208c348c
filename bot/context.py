"""What every handler can reach: settings and the database, through a typed context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import CallbackContext, ExtBot

from core.config import Settings
from core.storage.engine import SessionFactory
from core.storage.uow import SqlAlchemyUnitOfWork

if TYPE_CHECKING:
    from bot.cards import CardRefresher


@dataclass
class BotData:
    """Created in ``post_init``, closed in ``post_shutdown``."""

    settings: Settings
    engine: AsyncEngine | None = None
    session_factory: SessionFactory | None = None
    bot_username: str = ""
    refresher: CardRefresher = field(init=False)

    def __post_init__(self) -> None:
        from bot.cards import CardRefresher  # cards imports this module

        self.refresher = CardRefresher(self.settings.card_edit_interval_seconds)

    def uow(self) -> SqlAlchemyUnitOfWork:
        """Return a fresh unit of work; one per service call, never shared between tasks."""
        if self.session_factory is None:
            raise RuntimeError("the database is not open yet")
        return SqlAlchemyUnitOfWork(self.session_factory)


class SkedjitContext(CallbackContext[ExtBot[None], dict, dict, BotData]):
    @property
    def data(self) -> BotData:
        return self.bot_data
