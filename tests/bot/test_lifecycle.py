"""What the bot changes in its process while it runs, it puts back when it stops."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

from bot.app import GC_YOUNG_THRESHOLD
from tests.bot.conftest import running_bot
from tests.support.fake_telegram import FakeTelegram


async def test_the_collector_is_tuned_while_the_bot_runs_and_restored_after_it_stops(
    fake: FakeTelegram, tmp_path: Path, migrated_sqlite_template: Path
):
    shutil.copy(migrated_sqlite_template, tmp_path / "bot.db")
    before = gc.get_threshold()

    async with running_bot(fake, tmp_path / "bot.db"):
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD != before[0]
        assert gc.get_freeze_count() > 0

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
