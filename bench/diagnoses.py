"""DIAGNOSES: take one part of a view away, inside a benchmark process only, to see what it costs.

Nothing here changes the bot's files: each function replaces something in the running benchmark, so
the same harness measures the bot with and without it, side by side with the echo bot. They break the
bot on purpose (a view without a database shows one event under every link), so a result is a cost,
never a figure for the bot. Used by ``bench.throughput --without ...`` and ``bench.profile --without``.

(Until the views' fix landed this file held ``--experiment lean-view``, a sketch of that fix; it is in
the git history at a2382a0.)
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import Any


def without_database() -> str:
    from core import service, sharing

    real_view = service.view_event
    first: list[Any] = []

    async def view_event(uow: Any, link_id: str, *, viewer_chat_id: int | None = None) -> Any:
        if not first:  # one real read, so the card has a real event's shape
            first.append(await real_view(uow, link_id, viewer_chat_id=viewer_chat_id))
        event, zone = first[0]
        return dataclasses.replace(event, link_id=link_id), zone

    async def record_card(*_args: Any, **_kwargs: Any) -> None:
        return None

    service.view_event = view_event  # type: ignore[assignment]
    sharing.record_card = record_card  # type: ignore[assignment]
    return "database (one event, renamed to each link; no card recorded)"


def without_guards() -> str:
    from bot import handlers

    register = handlers.register

    def register_without_guards(application: Any) -> None:
        register(application)
        for group in (-3, -2, -1):  # unhandled kinds, the flood brake, codes in groups
            application.handlers.pop(group, None)

    handlers.register = register_without_guards
    return "guards (handler groups -3..-1)"


def without_keyboard_build() -> str:
    from bot import keyboards

    build = keyboards.card_keyboard
    built: dict[bool, Any] = {}

    def card_keyboard(bot_username: str, link_id: str, *, cancelled: bool = False) -> Any:
        if cancelled not in built:  # every card gets the first card's buttons
            built[cancelled] = build(bot_username, link_id, cancelled=cancelled)
        return built[cancelled]

    keyboards.card_keyboard = card_keyboard  # type: ignore[assignment]
    return "keyboard building (one prebuilt keyboard)"


def without_card_text() -> str:
    from bot import texts

    def card(event: Any, bot_username: str, **_kwargs: Any) -> str:
        return f"📅 <b>Event</b>\n🔗 {texts.deep_link(bot_username, event.link_id)}"

    texts.card = card  # type: ignore[assignment]
    return "card text (a fixed two-line text)"


WITHOUT: dict[str, Callable[[], str]] = {
    "database": without_database,
    "guards": without_guards,
    "keyboard": without_keyboard_build,
    "card-text": without_card_text,
}


def add_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """``--without NAME ...``, for a benchmark that runs views."""
    parser.add_argument(
        "--without",
        nargs="+",
        choices=list(WITHOUT),
        help=f"DIAGNOSIS: {what} without these parts of a view (bench/diagnoses.py)",
    )


def install(names: list[str] | None) -> str:
    """Apply the named diagnoses; return how to label the bot in the report."""
    if not names:
        return "as shipped"
    return "DIAGNOSIS, without " + "; ".join(WITHOUT[name]() for name in names)
