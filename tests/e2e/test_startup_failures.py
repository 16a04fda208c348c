"""A misconfigured bot stops at once with one line an operator can act on, not a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import child_env, free_port
from tests.e2e.world import TOKEN, WEBHOOK_PUBLIC_URL, WEBHOOK_SECRET

pytestmark = pytest.mark.e2e

GIVE_UP_AFTER = 15.0
QUICKLY = 10.0
MODES = pytest.mark.parametrize("mode", ["polling", "webhook"])
WRONG_TOKEN = "654321:WRONG-token-abcdefghijklmnopqrstuvwxyz"


def start_bot(cwd: Path, *args: str, **settings: str) -> tuple[int, list[str], float]:
    """Run ``python -m bot ARGS`` in ``cwd`` (no .env there); returns exit code, output lines, seconds taken."""
    began = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=child_env(**settings),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=GIVE_UP_AFTER,
    )
    lines = [line for line in (finished.stdout + finished.stderr).splitlines() if line.strip()]
    return finished.returncode, lines, time.monotonic() - began


def test_without_a_token_the_bot_stops_with_one_line_naming_the_setting(tmp_path: Path):
    code, lines, took = start_bot(tmp_path, DATABASE_URL="sqlite:///never-created.db")

    assert code != 0
    assert took < QUICKLY
    assert len(lines) == 1, lines
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in lines[0]
    assert not (tmp_path / "never-created.db").exists()


def test_an_unsupported_database_url_stops_the_bot_with_one_line_naming_the_setting(tmp_path: Path):
    code, lines, took = start_bot(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL="mysql://x/y")

    assert code != 0
    assert took < QUICKLY
    assert len(lines) == 1, lines
    assert "DATABASE_URL" in lines[0]
    assert "Traceback" not in lines[0]
    assert TOKEN not in lines[0]


def start_in(mode: str, cwd: Path, **settings: str) -> tuple[int, list[str], float]:
    """``start_bot`` by long polling, or by webhook on a free port of 127.0.0.1."""
    if mode == "polling":
        return start_bot(cwd, **settings)
    webhook = {
        "WEBHOOK_URL": WEBHOOK_PUBLIC_URL,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PORT": str(free_port()),
        "LISTEN": "127.0.0.1",
    }
    return start_bot(cwd, "--webhook", **(webhook | settings))


def assert_one_line_without_secrets(code: int, lines: list[str], took: float, *secrets: str) -> str:
    assert code == 1, (code, lines)
    assert took < QUICKLY
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for secret in secrets:
        assert secret not in lines[0]
    return lines[0]


@MODES
def test_an_unreachable_bot_api_stops_the_bot_with_one_line_saying_where(mode: str, tmp_path: Path):
    nowhere = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there
    outcome = start_in(
        mode,
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=nowhere,
        DATABASE_URL="sqlite:///never-created.db",
    )

    line = assert_one_line_without_secrets(*outcome, TOKEN)
    assert nowhere in line
    assert "TELEGRAM_API_BASE_URL" in line
    assert not (tmp_path / "never-created.db").exists()


@MODES
def test_a_token_telegram_rejects_stops_the_bot_with_one_line_naming_the_setting(
    mode: str, tmp_path: Path, fake_api: str
):
    outcome = start_in(
        mode,
        tmp_path,
        TELEGRAM_BOT_TOKEN=WRONG_TOKEN,
        TELEGRAM_API_BASE_URL=f"{fake_api}/bot",
        DATABASE_URL="sqlite:///never-created.db",
    )

    line = assert_one_line_without_secrets(*outcome, WRONG_TOKEN, TOKEN)
    assert "TELEGRAM_BOT_TOKEN" in line
    assert "rejected" in line
    assert not (tmp_path / "never-created.db").exists()


@MODES
def test_an_unreachable_database_stops_the_bot_with_one_line_saying_where(
    mode: str, tmp_path: Path, fake_api: str
):
    port = free_port()  # nothing listens there
    outcome = start_in(
        mode,
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"{fake_api}/bot",
        DATABASE_URL=f"postgresql://skedjit:db-password-42@127.0.0.1:{port}/skedjit",
    )

    line = assert_one_line_without_secrets(*outcome, TOKEN, "db-password-42")
    assert "DATABASE_URL" in line
    assert f"127.0.0.1:{port}/skedjit" in line


def test_a_webhook_port_in_use_stops_the_bot_with_one_line_saying_which(tmp_path: Path, fake_api: str):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        outcome = start_in(
            "webhook",
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=f"{fake_api}/bot",
            DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
            PORT=str(port),
            LOG_LEVEL="WARNING",  # the start-up that went well before it logs at INFO
        )

    line = assert_one_line_without_secrets(*outcome, TOKEN)
    assert f"127.0.0.1:{port}" in line
    assert "PORT" in line
