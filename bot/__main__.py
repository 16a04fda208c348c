"""Run the bot: ``python -m bot`` (long polling), or ``python -m bot --webhook``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from telegram import Update

from bot import logs
from bot.app import build_application
from bot.webhook import run_webhook
from core.config import ConfigError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Skedjit Telegram bot.")
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="take updates by webhook (WEBHOOK_URL, WEBHOOK_SECRET, PORT) instead of long polling",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        token = settings.require_token()
        webhook = settings.require_webhook() if args.webhook else None
    except ConfigError as exc:
        print(f"skedjit: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, token)
    application = build_application(settings)
    if webhook is None:
        # run_polling stops on SIGTERM/SIGINT: it finishes the updates in hand and closes the database.
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    else:
        url, secret = webhook
        asyncio.run(
            run_webhook(application, url=url, secret=secret, listen=settings.listen, port=settings.port)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
