"""The unit of work: one session, one transaction, rolled back unless the service commits."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DatabaseUnavailable
from core.storage.answers import ANSWER, AnswerRow
from core.storage.direct import DirectViews
from core.storage.engine import SessionFactory
from core.storage.polls import VOTE, PollRepository, VoteRow
from core.storage.repository import (
    AttemptRepository,
    BudgetRepository,
    CardRepository,
    CardSyncRepository,
    ClaimRepository,
    EventRepository,
    FlowRepository,
    ReminderRepository,
    RsvpRepository,
    SettingsRepository,
    UnlockRepository,
)
from core.storage.views import CardRecord, ViewRead


class SqlAlchemyUnitOfWork:
    session: AsyncSession
    events: EventRepository
    cards: CardRepository
    card_syncs: CardSyncRepository
    budgets: BudgetRepository
    claims: ClaimRepository
    settings: SettingsRepository
    attempts: AttemptRepository
    unlocks: UnlockRepository
    flows: FlowRepository
    rsvps: RsvpRepository
    reminders: ReminderRepository
    polls: PollRepository

    def __init__(
        self,
        session_factory: SessionFactory,
        autocommit_factory: SessionFactory | None = None,
        direct: DirectViews | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._autocommit_factory = autocommit_factory
        self._direct = direct
        self._next_autocommit = False

    async def read_view(self, link_id: str, viewer_chat_id: int | None = None) -> ViewRead | None:
        """The event behind a link with its answers, and the viewer's timezone: a view's one read.

        Not inside the unit of work: it is one statement, batched with other views where it can be.
        """
        if self._direct is not None:
            return await self._direct.read(link_id, viewer_chat_id)
        async with self.single_statement():
            return await self.events.read_view(link_id, viewer_chat_id)

    async def record_card(self, card: CardRecord) -> None:
        """Remember a posted card, committed on return: a view's one write, outside the unit of work."""
        if self._direct is not None:
            await self._direct.record_card(card)
            return
        async with self.single_statement():
            await self.cards.record(card)
            await self.commit()

    @property
    def answers_in_one_statement(self) -> bool:
        """Whether ``answer`` works here: on PostgreSQL (SQLite takes answers through the session)."""
        return self._direct is not None or self._dialect() == "postgresql"

    async def answer(
        self, link_id: str, user_id: int, name: str, answer: str, now: datetime
    ) -> AnswerRow | None:
        """Record an answer in one statement (``core.storage.answers``); None if the link is unknown."""
        params = {"link": link_id, "user": user_id, "name": name, "answer": answer, "now": now}
        if self._direct is not None:
            row = await self._direct.answer(params)
        else:
            async with self.single_statement():
                row = (await self.session.execute(ANSWER, params)).mappings().first()
                await self.commit()
        return None if row is None else AnswerRow.from_row(row)

    async def vote(
        self, link_id: str, option_id: int, user_id: int, name: str, now: datetime, tap_id: str | None = None
    ) -> VoteRow | None:
        """A poll vote in one statement (``core.storage.polls``); None if the link is unknown."""
        params = {
            "link": link_id,
            "option": option_id,
            "user": user_id,
            "name": name,
            "now": now,
            "tap": tap_id,
        }
        if self._direct is not None:
            row = await self._direct.vote(params)
        else:
            async with self.single_statement():
                row = (await self.session.execute(VOTE, params)).mappings().first()
                await self.commit()
        return None if row is None else VoteRow.from_row(row)

    def _dialect(self) -> str:
        bind = self._session_factory.kw.get("bind")
        return bind.dialect.name if bind is not None else ""

    def single_statement(self) -> Self:
        """Enter for one statement (or reads that need no common snapshot), without BEGIN/COMMIT.

        On PostgreSQL that saves two round trips; a lone statement is atomic on its own. Where no
        autocommit factory was given (SQLite, the tests' rolled-back transaction), this is a plain
        unit of work.
        """
        self._next_autocommit = True
        return self

    async def __aenter__(self) -> Self:
        factory = self._session_factory
        if self._next_autocommit and self._autocommit_factory is not None:
            factory = self._autocommit_factory
        self._next_autocommit = False
        self.session = factory()
        self.events = EventRepository(self.session)
        self.cards = CardRepository(self.session)
        self.card_syncs = CardSyncRepository(self.session)
        self.budgets = BudgetRepository(self.session)
        self.claims = ClaimRepository(self.session)
        self.settings = SettingsRepository(self.session)
        self.attempts = AttemptRepository(self.session)
        self.unlocks = UnlockRepository(self.session)
        self.flows = FlowRepository(self.session)
        self.rsvps = RsvpRepository(self.session)
        self.reminders = ReminderRepository(self.session)
        self.polls = PollRepository(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.session.rollback()
            await self.session.close()
        except Exception:
            # The connection may already be gone; the original error is the one worth raising.
            if exc is None:
                raise
        if isinstance(exc, OperationalError | InterfaceError) or _is_connection_error(exc):
            raise DatabaseUnavailable() from exc

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


def _is_connection_error(exc: BaseException | None) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, ConnectionError | OSError)
