"""Logging set-up that keeps secrets out of the logs."""

from __future__ import annotations

import logging
import re

from core.codes import normalise_code

# Bot API URLs carry the token (".../bot123:ABC/sendMessage"); so may any error text that quotes them.
_TOKEN_RE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}|bot\d+:[^/\s]+")
# A secret code in any form it is accepted in: any case, grouped by a dash or a space, or not at all.
# Lookarounds instead of \b, and a code right after an escaped "\n" (a logged repr) is caught too.
_CODE_RE = re.compile(
    r"(?:(?<![0-9A-Za-z])|(?<=\\[nrt]))[0-9A-Za-z]{4}([- ]?)[0-9A-Za-z]{4}\1[0-9A-Za-z]{4}(?![0-9A-Za-z])"
)
# Claim payloads ("/start c_<token>") hand over a code; the token is a credential until used.
_CLAIM_RE = re.compile(r"c_[A-Za-z0-9_-]{20,}")


def _redact_code(match: re.Match[str]) -> str:
    # Twelve letters and digits also make up ordinary words; only what could be a code is hidden.
    return "[code]" if normalise_code(match.group(0)) else match.group(0)


class RedactSecrets(logging.Filter):
    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _TOKEN_RE.sub("[token]", message)
        cleaned = _CLAIM_RE.sub("c_[claim]", cleaned)
        cleaned = _CODE_RE.sub(_redact_code, cleaned)
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
    # httpx logs every request URL at INFO, and every URL contains the token. At DEBUG,
    # python-telegram-bot logs whole API payloads (message texts with codes): the filter redacts them,
    # but there is no need to write them at all.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
