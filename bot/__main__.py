"""Run the bot: ``python -m bot`` (long polling)."""

from __future__ import annotations

import argparse
import sys

from telegram import Update

from bot import logs
from bot.app import build_application
from core.config import ConfigError, load_settings


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description="Run the Skedjit Telegram bot (long polling).").parse_args(argv)
    try:
        settings = load_settings()
        token = settings.require_token()
    except ConfigError as exc:
        print(f"skedjit: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, token)
    application = build_application(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
