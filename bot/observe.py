"""One log line per update: its id, what it asked for (never its arguments), outcome and duration."""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar

from telegram import Update
from telegram.ext import Application

log = logging.getLogger("skedjit.updates")

# Set by the error handler, read when the update is done; one per update (each runs in its own task).
outcome: ContextVar[dict[str, str]] = ContextVar("outcome")


def describe(update: object) -> str:
    """Name what an update asks for without any of its arguments (they may hold codes or tokens)."""
    if not isinstance(update, Update):
        return "unknown"
    if update.callback_query is not None:
        return "button:" + (update.callback_query.data or "").split(":", 1)[0][:8]
    if update.inline_query is not None:
        return "inline"
    if update.chosen_inline_result is not None:
        return "inline-chosen"
    message = update.effective_message
    if message is not None and message.text:
        if message.text.startswith("/"):
            return message.text.split(maxsplit=1)[0].split("@", 1)[0][:32]
        return "text"
    return "other"


class LoggingApplication(Application):  # type: ignore[type-arg]
    """An Application that logs each update once: id, command, outcome, duration."""

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        result = {"outcome": "ok"}
        token = outcome.set(result)
        try:
            await super().process_update(update)
        finally:
            outcome.reset(token)
            log.info(
                "update=%s command=%s outcome=%s duration_ms=%.1f",
                getattr(update, "update_id", None),
                describe(update),
                result["outcome"],
                (time.perf_counter() - started) * 1000,
            )


def record_outcome(name: str) -> None:
    current = outcome.get(None)
    if current is not None:
        current["outcome"] = name
