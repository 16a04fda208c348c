"""Webhook mode: an aiohttp server that takes Telegram's POSTs, checks their secret, and reports health.

Each update is handled before the POST is answered, and answered 200 even when handling failed: the
error handler has told the user by then, and a retry by Telegram would repeat what they resend. A
graceful stop (SIGTERM) finishes the updates in flight, so each gets its answer, before the process exits.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal

from aiohttp import web
from sqlalchemy import text
from telegram import Bot, Update
from telegram.ext import Application

from bot.app import StartupError, one_line
from bot.context import BotData

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram"
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_TIMEOUT = 3.0
# How long a stop waits for updates in flight; platforms send SIGKILL about 30 s after SIGTERM.
SHUTDOWN_TIMEOUT = 20.0


def make_web_app(application: Application, secret: str) -> web.Application:  # type: ignore[type-arg]
    """The HTTP side: one route for updates, one for health."""

    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        # aiohttp decodes header bytes as UTF-8 with surrogateescape: encoding back gives them as sent.
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            log.warning("webhook: refused a request from %s without the right secret", request.remote)
            return web.Response(status=403, text="forbidden")
        update = parse_update(await request.read(), application.bot)
        if update is None:
            return web.Response(status=400, text="not an update")
        await application.process_update(update)
        return web.Response(text="ok")

    async def health(_request: web.Request) -> web.Response:
        database = await database_answers(application.bot_data)
        status = 200 if database else 503
        return web.json_response(
            {"status": "ok" if database else "degraded", "database": "ok" if database else "unavailable"},
            status=status,
        )

    web_app = web.Application(client_max_size=1 << 20)
    web_app.router.add_post(WEBHOOK_PATH, receive)
    web_app.router.add_get(HEALTH_PATH, health)
    return web_app


def parse_update(body: bytes, bot: Bot) -> Update | None:
    """The Update in a webhook body, or None (and one log line) when the body is not one."""
    try:
        payload = json.loads(body)
        update = Update.de_json(payload, bot) if isinstance(payload, dict) else None
    # Only Telegram holds the secret, but a malformed field makes python-telegram-bot raise almost
    # anything (AttributeError, TypeError, OverflowError, RecursionError, ...): all mean "not an update".
    except Exception as exc:
        log.warning("webhook: refused a body that is not an update (%s)", type(exc).__name__)
        return None
    if update is None:
        log.warning("webhook: refused a body that is not an update (a JSON %s)", type(payload).__name__)
    return update


async def database_answers(data: BotData) -> bool:
    if data.engine is None:
        return False
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            async with data.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # any failure means the same thing to a load balancer
        log.warning("health check: database unavailable: %s", type(exc).__name__)
        return False


async def run_webhook(application: Application, *, url: str, secret: str, listen: str, port: int) -> None:  # type: ignore[type-arg]
    """Serve until SIGTERM or SIGINT, then stop taking updates, finish those in flight, and close."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.bot.set_webhook(
            url=url.rstrip("/") + WEBHOOK_PATH, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        runner = web.AppRunner(
            make_web_app(application, secret), handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        try:
            await runner.setup()
            try:
                await web.TCPSite(runner, listen, port).start()
            except OSError as exc:
                raise StartupError(
                    f"cannot listen on {listen}:{port} (LISTEN, PORT): {one_line(exc)}"
                ) from exc
            log.info("webhook mode: listening on %s:%s", listen, port)
            await stop.wait()
            log.info("stopping: finishing updates in flight")
        finally:
            await runner.cleanup()  # stops accepting, then waits for handlers still running
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
    log.info("stopped")
