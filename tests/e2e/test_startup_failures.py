"""A misconfigured bot stops at once with one line an operator can act on, not a traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import child_env
from tests.e2e.world import TOKEN

pytestmark = pytest.mark.e2e

GIVE_UP_AFTER = 15.0
QUICKLY = 10.0


def start_bot(cwd: Path, **settings: str) -> tuple[int, list[str], float]:
    """Run ``python -m bot`` in ``cwd`` (no .env there); returns exit code, output lines, seconds taken."""
    began = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "bot"],
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
