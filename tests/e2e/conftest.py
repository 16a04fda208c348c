"""End-to-end fixtures: the fake Bot API server and the bot itself, each started as a real process.

One fake server and one ``python -m bot`` per module (start-up costs a few seconds); every test makes
its own users and groups in the fake, so the tests share nothing and may run in any order. A module
changes its polling bot's settings by overriding ``bot_settings``. For production-like tests,
``webhook_pair`` runs two ``python -m bot --webhook`` processes on one database, ``webhook_world`` plays
Telegram's webhook delivery to them, and ``webhook_bots`` starts more processes for one test to break.
The bot logs at INFO, as deployed; ``SKEDJIT_E2E_LOG_LEVEL=DEBUG`` runs the same checks at another level.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bot.webhook import HEALTH_PATH
from tests.conftest import fresh_postgres_database
from tests.e2e.world import (
    TOKEN,
    WEBHOOK_PUBLIC_URL,
    WEBHOOK_SECRET,
    Database,
    RunningBot,
    WebhookBot,
    WebhookWorld,
    World,
)
from tests.e2e.world import webhook_world as webhook_world_for
from tests.support.fake_telegram_server import FakeTelegramClient

REPO_ROOT = Path(__file__).resolve().parents[2]
# The modules' fakes share the session's database, so each counts its users' and groups' ids from
# its own start: two modules' groups never get the same id (and events.origin never collides).
FAKE_ID_RANGES = itertools.count(1, 1_000_000)
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
# Every setting the bot reads; a child process gets only the ones a test hands it.
BOT_SETTINGS = frozenset(
    {
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "DATABASE_URL",
        "BCRYPT_ROUNDS",
        "DEFAULT_TIMEZONE",
        "DEFAULT_LANGUAGE",
        "LOG_LEVEL",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "PORT",
        "LISTEN",
        "REMINDER_POLL_SECONDS",
        "CARD_EDIT_INTERVAL_SECONDS",
        "CARD_SYNC_POLL_SECONDS",
        "CARD_SYNC_LEASE_SECONDS",
    }
)


def child_env(**settings: str) -> dict[str, str]:
    """The test runner's environment minus any bot setting, plus ``settings`` and the repo on the path."""
    env = {key: value for key, value in os.environ.items() if key.upper() not in BOT_SETTINGS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


def poll(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Wait (synchronously, bounded) until ``condition()`` is truthy, or fail saying ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}", pytrace=False)
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then a bounded wait, then SIGKILL; returns the exit code (negative if killed)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
    return process.returncode


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for each module: what one module's bots leave behind
    (card edits due, reminders) is not another module's bots' work."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def fake_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fake Telegram Bot API as its own process; yields its root URL (http://127.0.0.1:<port>)."""
    out = tmp_path_factory.mktemp("fake-api") / "fake.log"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.fake_telegram_server",
                "--port",
                "0",
                "--token",
                TOKEN,
                "--first-id",
                str(next(FAKE_ID_RANGES)),
            ],
            cwd=REPO_ROOT,
            env=child_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:

        def listening() -> bool:
            if process.poll() is not None:
                pytest.fail(f"the fake Bot API exited early:\n{out.read_text()}", pytrace=False)
            return "LISTENING" in out.read_text()

        poll(listening, START_TIMEOUT, "the fake Bot API to listen")
        port = int(out.read_text().split("LISTENING", 1)[1].split()[0])
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def bot_env(fake_api: str, postgres_url: str, **settings: str) -> dict[str, str]:
    """The environment of a bot process: the fake API, the test database, fast bcrypt, Paris time."""
    return child_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"{fake_api}/bot",
        DATABASE_URL=postgres_url,
        BCRYPT_ROUNDS="4",
        DEFAULT_TIMEZONE="Europe/Paris",
        LOG_LEVEL=os.environ.get("SKEDJIT_E2E_LOG_LEVEL", "INFO"),
        # Work a process dies holding is taken over after the lease; short here, so tests see it happen.
        CARD_SYNC_POLL_SECONDS="0.5",
        CARD_SYNC_LEASE_SECONDS="3",
        **settings,
    )


def launch(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m bot ARGS`` with stdout and stderr appended to ``log_path``."""
    with log_path.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture(scope="module")
def bot_settings() -> dict[str, str]:
    """Extra settings for the module's polling bot; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture(scope="module")
def bot(
    fake_api: str,
    postgres_url: str,
    bot_settings: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningBot]:
    """``python -m bot`` against the fake API and PostgreSQL, ready once it polls for updates.

    On teardown it gets SIGTERM and must exit, cleanly and in time.
    """
    log_path = tmp_path_factory.mktemp("bot") / "bot.log"
    process = launch([], bot_env(fake_api, postgres_url, **bot_settings), log_path)
    running = RunningBot(process=process, log_path=log_path, api_root=fake_api)
    try:
        with httpx.Client(base_url=fake_api, timeout=5.0) as http:

            def polling() -> bool:
                if process.poll() is not None:
                    pytest.fail(
                        f"the bot exited with {process.returncode} before it was ready:\n{running.log()}",
                        pytrace=False,
                    )
                calls = http.get("/_test/calls").json()["result"]
                done = [call["method"] for call in calls if call["status"] == 200]
                # post_init sets both command menus; run_polling then drops any webhook and polls.
                return done.count("setMyCommands") >= 2 and "deleteWebhook" in done

            poll(polling, START_TIMEOUT, "the bot to start polling")
        yield running
    finally:
        code = stop(process)
    assert code == 0, f"the bot did not stop cleanly on SIGTERM (exit {code}):\n{running.log()}"
    assert "Traceback" not in running.log(), running.log()


# -- webhook mode -----------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebhookBots:
    """Starts ``python -m bot --webhook`` processes on free ports; stops whatever is left at the end."""

    def __init__(self, fake_api: str, postgres_url: str, log_dir: Path) -> None:
        self.fake_api = fake_api
        self.postgres_url = postgres_url
        self.log_dir = log_dir
        self.started: list[WebhookBot] = []

    def launch(self, name: str, *, database_url: str | None = None, **settings: str) -> WebhookBot:
        """Start one process (not yet ready: see ``ready``); settings override the defaults."""
        port = free_port()
        env = bot_env(
            self.fake_api,
            database_url or self.postgres_url,
            WEBHOOK_URL=WEBHOOK_PUBLIC_URL,
            WEBHOOK_SECRET=WEBHOOK_SECRET,
            PORT=str(port),
            LISTEN="127.0.0.1",
            REMINDER_POLL_SECONDS="0.3",
            CARD_EDIT_INTERVAL_SECONDS="0.2",
        )
        env.update(settings)
        log_path = self.log_dir / f"{name}.log"
        process = launch(["--webhook"], env, log_path)
        running = WebhookBot(
            process=process, log_path=log_path, api_root=self.fake_api, name=name, port=port, env=env
        )
        self.started.append(running)
        return running

    def restart(self, old: WebhookBot) -> WebhookBot:
        """The same process again (same port, settings and log), after it stopped or was killed."""
        assert old.process.poll() is not None, "stop it first"
        process = launch(["--webhook"], old.env, old.log_path)
        running = WebhookBot(
            process=process,
            log_path=old.log_path,
            api_root=old.api_root,
            name=old.name,
            port=old.port,
            env=old.env,
        )
        self.started.append(running)
        return ready(running)

    def start(self, name: str, **settings: str) -> WebhookBot:
        return ready(self.launch(name, **settings))

    def stop_all(self) -> dict[str, int]:
        return {running.name: stop(running.process) for running in self.started}


def ready(running: WebhookBot) -> WebhookBot:
    """Wait (bounded) until the process answers /healthz with 200; fail with its log if it died."""
    with httpx.Client(base_url=running.url, timeout=2.0) as http:

        def healthy() -> bool:
            if running.process.poll() is not None:
                pytest.fail(
                    f"{running.name} exited with {running.process.returncode} before it was ready:\n"
                    + running.log(),
                    pytrace=False,
                )
            try:
                return http.get(HEALTH_PATH).status_code == 200
            except httpx.TransportError:
                return False

        poll(healthy, START_TIMEOUT, f"{running.name} to answer {HEALTH_PATH}")
    return running


@pytest.fixture(scope="module")
def webhook_pair(
    fake_api: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WebhookBot, WebhookBot]]:
    """Two webhook processes sharing one database and one fake Telegram, as behind a load balancer.

    On teardown both get SIGTERM and must exit cleanly, without a traceback in their logs.
    """
    bots = WebhookBots(fake_api, postgres_url, tmp_path_factory.mktemp("webhook-pair"))
    try:
        first, second = bots.launch("bot-a"), bots.launch("bot-b")
        yield ready(first), ready(second)
    finally:
        codes = bots.stop_all()
    for running in bots.started:
        assert codes[running.name] == 0, f"{running.name} exited with {codes[running.name]}:\n{running.log()}"
        assert "Traceback" not in running.log(), running.log()


@pytest.fixture
def webhook_bots(fake_api: str, postgres_url: str, tmp_path: Path) -> Iterator[WebhookBots]:
    """Extra webhook processes for one test (to kill, cut off or stop); stopped when it ends."""
    bots = WebhookBots(fake_api, postgres_url, tmp_path)
    try:
        yield bots
    finally:
        bots.stop_all()


@pytest.fixture
async def webhook_world(
    fake_api: str, webhook_pair: tuple[WebhookBot, WebhookBot]
) -> AsyncIterator[WebhookWorld]:
    """A world whose updates the test itself delivers, by webhook, alternately to the two processes."""
    async with webhook_world_for(fake_api, webhook_pair) as world:
        yield world


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[Database]:
    """Direct SQL on the bots' database, to look behind the scenes and to move time."""
    database = Database(postgres_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def world(bot: RunningBot) -> AsyncIterator[World]:
    """Users, groups and the bot's words, over the fake's HTTP control endpoints."""
    async with FakeTelegramClient(bot.api_root) as client:
        yield World(client, bot)
