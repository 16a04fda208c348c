"""End-to-end fixtures: the fake Bot API server and the bot itself, each started as a real process.

One fake server and one ``python -m bot`` per module (start-up costs a few seconds); every test makes
its own users and groups in the fake, so the tests share nothing and may run in any order.
The bot logs at INFO, as deployed; ``SKEDJIT_E2E_LOG_LEVEL=DEBUG`` runs the same checks at another level.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.world import TOKEN, RunningBot, World
from tests.support.fake_telegram_server import FakeTelegramClient

REPO_ROOT = Path(__file__).resolve().parents[2]
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
        "LOG_LEVEL",
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
def fake_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fake Telegram Bot API as its own process; yields its root URL (http://127.0.0.1:<port>)."""
    out = tmp_path_factory.mktemp("fake-api") / "fake.log"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fake_telegram_server", "--port", "0", "--token", TOKEN],
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


@pytest.fixture(scope="module")
def bot(fake_api: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """``python -m bot`` against the fake API and PostgreSQL, ready once it polls for updates.

    On teardown it gets SIGTERM and must exit, cleanly and in time.
    """
    log_path = tmp_path_factory.mktemp("bot") / "bot.log"
    env = child_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"{fake_api}/bot",
        DATABASE_URL=postgres_url,
        BCRYPT_ROUNDS="4",
        DEFAULT_TIMEZONE="Europe/Paris",
        LOG_LEVEL=os.environ.get("SKEDJIT_E2E_LOG_LEVEL", "INFO"),
    )
    with log_path.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=REPO_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
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


@pytest.fixture
async def world(bot: RunningBot) -> AsyncIterator[World]:
    """Users, groups and the bot's words, over the fake's HTTP control endpoints."""
    async with FakeTelegramClient(bot.api_root) as client:
        yield World(client, bot)
