"""Logging set-up that keeps secrets out of the logs."""

from __future__ import annotations

import logging
import re

# Bot API URLs carry the token (".../bot123:ABC/sendMessage"); so may any error text that quotes them.
_TOKEN_RE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}|bot\d+:[^/\s]+")
_CODE_RE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


class RedactSecrets(logging.Filter):
    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _CODE_RE.sub("[code]", _TOKEN_RE.sub("[token]", message))
        if self.token:
            cleaned = cleaned.replace(self.token, "[token]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure(level: str, token: str | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(token))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and every URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
