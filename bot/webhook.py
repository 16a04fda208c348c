"""Webhook mode: an aiohttp server that takes Telegram's POSTs, checks their secret, and reports health.

Each update is handled before the POST is answered. Telegram then retries only what failed, and a
graceful stop (SIGTERM) finishes the updates in flight before the process exits.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal

from aiohttp import web
from sqlalchemy import text
from telegram import Update
from telegram.ext import Application

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

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            payload = await request.json()
            update = Update.de_json(payload, application.bot)
        except (json.JSONDecodeError, ValueError, TypeError, KeyError):
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
    if application.post_init is not None:
        await application.post_init(application)
    await application.bot.set_webhook(
        url=url.rstrip("/") + WEBHOOK_PATH, secret_token=secret, allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    runner = web.AppRunner(
        make_web_app(application, secret), handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
    )
    await runner.setup()
    await web.TCPSite(runner, listen, port).start()
    log.info("webhook mode: listening on %s:%s", listen, port)
    try:
        await stop.wait()
        log.info("stopping: finishing updates in flight")
    finally:
        await runner.cleanup()  # stops accepting, then waits for handlers still running
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
    log.info("stopped")
