"""Run the bot: ``python -m bot`` (long polling), or ``python -m bot --webhook``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot import logs
from bot.app import StartupError, build_application
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
    try:
        if webhook is None:
            run_polling(application)
        else:
            url, secret = webhook
            asyncio.run(
                run_webhook(application, url=url, secret=secret, listen=settings.listen, port=settings.port)
            )
    except (StartupError, TelegramError) as exc:
        print(f"skedjit: {describe(exc, settings.telegram_api_base_url, token)}", file=sys.stderr)
        return 1
    return 0


def run_polling(application: Application) -> None:  # type: ignore[type-arg]
    """Long polling, run by python-telegram-bot, once the Bot API has answered."""
    # When its own first call to the Bot API fails, run_polling logs a traceback before raising.
    # Making that call first, on the loop run_polling then takes, keeps a failure to one line.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(application.initialize())
    except BaseException:
        loop.close()
        raise
    # run_polling stops on SIGTERM/SIGINT: it finishes the updates in hand and closes the database.
    application.run_polling(allowed_updates=Update.ALL_TYPES)


def describe(exc: StartupError | TelegramError, api: str, token: str) -> str:
    """What stopped start-up and where, in one line without the token (PTB's InvalidToken quotes it)."""
    if isinstance(exc, StartupError):
        return str(exc)
    if isinstance(exc, InvalidToken):  # Telegram answered 401 or 404
        return f"the Bot API at {api} rejected TELEGRAM_BOT_TOKEN: check it with @BotFather"
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0].replace(token, "[token]")
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
        return f"cannot reach the Telegram Bot API at {api} (TELEGRAM_API_BASE_URL): {reason}"
    return f"the Bot API at {api} refused to start the bot: {reason}"


if __name__ == "__main__":
    sys.exit(main())
