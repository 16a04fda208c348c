"""Logging set-up that keeps secrets out of the logs."""

from __future__ import annotations

import logging
import re

from core.codes import find_codes

# Bot API URLs carry the token (".../bot123:ABC/sendMessage"); so may any error text that quotes them.
_TOKEN_RE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}|bot\d+:[^/\s]+")
# Logged texts are often reprs or JSON, where a line break or an unusual space is an escape ("\\n", "\\xa0",
# "\\u00a0"). Codes are looked for in a copy where each escape is blanked to as many spaces, so that every form
# a code is accepted in (core.codes decides) is found, and found at the same place in the original.
_ESCAPE_RE = re.compile(r"\\(?:[nrt]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})")
# Claim payloads ("/start c_<token>") hand over a code; the token is a credential until used.
_CLAIM_RE = re.compile(r"c_[A-Za-z0-9_-]{20,}")


def _redact_codes(text: str) -> str:
    unescaped = _ESCAPE_RE.sub(lambda match: " " * len(match.group(0)), text)
    pieces, kept = [], 0
    for found in find_codes(unescaped):
        pieces += [text[kept : found.start], "[code]"]
        kept = found.end
    return "".join(pieces) + text[kept:]


class RedactSecrets(logging.Filter):
    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _TOKEN_RE.sub("[token]", message)
        cleaned = _CLAIM_RE.sub("c_[claim]", cleaned)
        cleaned = _redact_codes(cleaned)
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
