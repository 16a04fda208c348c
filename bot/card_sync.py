"""Keeping every posted card up to date: this process's share of the card work in the database.

Changes leave work in the database (``core.cards``); this loop claims what is due, edits the cards and
reports back. A change made here wakes it at once; work left by other processes, by a process that
died, or by an outage is found by polling. Each card's failure is its own: a message that is gone is
forgotten, a group that became a supergroup is followed, a network error is retried later, and none of
them stops the other copies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot import i18n
from bot.cards import render
from bot.poll_cards import render_decided, render_poll
from bot.wire import NO_PREVIEW
from core import cards
from core.clock import utcnow
from core.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from bot.context import BotData

log = logging.getLogger(__name__)

EVENTS_AT_ONCE = 8
OUTAGE_RETRY_SECONDS = 2.0
# Telegram's answers when the message can no longer be edited by this bot: nothing left to keep in sync.
_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "message id invalid",
    "chat not found",
    "message_id invalid",
    "inline message id invalid",
    "message identifier is not specified",
)


class CardSync:
    """Claims card work from the database and edits the cards; one per bot process."""

    def __init__(
        self, data: BotData, *, poll_seconds: float, rest_seconds: float, lease_seconds: float
    ) -> None:
        self._data = data
        self._poll = poll_seconds
        self._rest = timedelta(seconds=rest_seconds)
        self._lease = timedelta(seconds=lease_seconds)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._bot: Bot | None = None
        self._stopping = False

    def kick(self) -> None:
        """Something changed here: look for work now rather than at the next poll."""
        self._wake.set()

    def start(self, bot: Bot) -> None:
        self._bot = bot
        self._task = asyncio.create_task(self._run(), name="card-sync")

    async def stop(self, timeout: float) -> None:  # noqa: ASYNC109 (a budget handed down from the caller)
        """Finish the round in hand and one more, within ``timeout``; what is left, others take over."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            log.info(
                "stopping with card edits unfinished; another process takes them over when their lease ends"
            )
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def until_idle(self, bot: Bot) -> None:
        """Edit every card that is due now, round after round, until nothing is (tests use this).

        Without a database it stops, as the loop would pause: the work waits in the database.
        """
        self._bot = bot
        try:
            while (await self.run_once()).work:
                pass
        except DatabaseUnavailable:
            return

    async def run_once(self) -> cards.Claimed:
        """Claim what is due, edit those cards, and record what happened."""
        claimed = await cards.claim_stale(self._data.uow(), limit=EVENTS_AT_ONCE * 4, lease=self._lease)
        gate = asyncio.Semaphore(EVENTS_AT_ONCE)

        # Each copy of a card reads in its chat's language: one lookup for every chat in this round.
        languages = await self._data.languages.of_chats(
            self._data,
            [
                card.ref.chat_id
                for work in claimed.work
                for card in work.cards
                if card.ref.chat_id is not None
            ],
        )

        async def one(work: cards.CardWork) -> None:
            async with gate:
                await self._sync(work, languages)

        await asyncio.gather(*(one(work) for work in claimed.work))
        return claimed

    async def _run(self) -> None:
        in_outage = False
        while True:
            try:
                claimed = await self.run_once()
                if in_outage:
                    log.info("card sync: the database is back")
                    in_outage = False
                delay = 0.0 if claimed.work else self._idle_delay(claimed)
            except DatabaseUnavailable:
                if not in_outage:
                    log.warning("card sync paused: the database is unavailable; retrying")
                    in_outage = True
                delay = OUTAGE_RETRY_SECONDS
            except Exception:
                log.exception("card sync failed; retrying")
                delay = self._poll
            if self._stopping:
                if delay > 0:  # the last round found nothing more to do now
                    return
                continue
            await self._sleep(delay)

    def _idle_delay(self, claimed: cards.Claimed) -> float:
        if claimed.next_due is None:
            return self._poll
        return max(0.05, min(self._poll, (claimed.next_due - utcnow()).total_seconds()))

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _sync(self, work: cards.CardWork, languages: dict[int, str]) -> None:
        keeper = asyncio.create_task(self._keep_lease(work.event_id))
        try:
            outcomes = []
            for card in work.cards:
                chat_id = card.ref.chat_id
                with i18n.use(languages.get(chat_id) if chat_id is not None else card.ref.language):
                    outcomes.append(await self._edit(work, card))
        finally:
            keeper.cancel()
        given_up = await cards.finish(self._data.uow(), work, outcomes, rest=self._rest)
        for card in given_up:
            log.warning(
                "gave up updating a card of %s after %d failed edits", work.event.link_id, card.failures + 1
            )

    async def _edit(self, work: cards.CardWork, card: cards.StaleCard) -> cards.CardOutcome:
        outcome = cards.CardOutcome(card.card_id)
        ref = card.ref
        try:
            await self._send_edit(work, ref.chat_id, ref, shows_poll=card.shows_poll)
            outcome.shown = True
        except ChatMigrated as exc:
            # The group became a supergroup: its messages live on under the new chat id.
            outcome.moved_to = exc.new_chat_id
            try:
                await self._send_edit(work, exc.new_chat_id, ref, shows_poll=card.shows_poll)
                outcome.shown = True
            except TelegramError as again:
                self._judge(work, again, outcome)
        except TelegramError as exc:
            self._judge(work, exc, outcome)
        return outcome

    async def _keep_lease(self, event_id: int) -> None:
        """While this process edits an event's cards (a flood limit may hold it), no other takes them."""
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            with contextlib.suppress(DatabaseUnavailable):
                await cards.renew(self._data.uow(), event_id, lease=self._lease)

    def _judge(self, work: cards.CardWork, exc: TelegramError, outcome: cards.CardOutcome) -> None:
        message = exc.message.lower()
        if isinstance(exc, BadRequest) and "not modified" in message:
            outcome.shown = True
        elif isinstance(exc, Forbidden) or (isinstance(exc, BadRequest) and any(g in message for g in _GONE)):
            log.info("forgetting a card of %s: %s", work.event.link_id, exc.message)
            outcome.gone = True
        else:
            log.warning("editing a card of %s failed, will retry: %s", work.event.link_id, exc.message)

    async def _send_edit(
        self, work: cards.CardWork, chat_id: int | None, ref: cards.CardRef, *, shows_poll: bool = False
    ) -> None:
        assert self._bot is not None
        private = chat_id is not None and chat_id > 0
        if shows_poll:
            text, markup = render_decided(self._data, work.event)
        elif work.poll is not None:
            text, markup = render_poll(self._data, work.poll, private=private)
        else:
            text, markup = render(
                self._data, work.event, private=private, show_names=private and chat_id in work.managers
            )
        target = (
            {"inline_message_id": ref.inline_message_id}
            if ref.inline_message_id is not None
            else {"chat_id": chat_id, "message_id": ref.message_id}
        )
        await self._bot.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW, **target
        )
