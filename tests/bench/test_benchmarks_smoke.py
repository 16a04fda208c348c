"""Every benchmark of bench/ runs on a tiny load and reports its figures.

So a rename in core/ or bot/ that breaks a benchmark fails here, not months later when someone
measures again. Each runs as ``python -m bench.<name>`` with its own flags for a load of seconds,
against the test run's PostgreSQL server (it creates and drops its own ``skedjit_bench_*``
databases), and writes its JSON to a temporary file. Nothing here asserts a speed: only that each
figure is there and is a positive number.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bench import seams
from tests.conftest import POSTGRES_ADMIN_URL

pytestmark = [pytest.mark.bench, pytest.mark.postgres]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 240  # seconds for one run; each takes a few on an idle machine
# Two at a time: the machines have two cores, and most of a tiny run is start-up and waiting.
AT_ONCE = 2

# Each benchmark's own flags (``--help``) for a load of seconds, the longest first. With
# --card-edit-seconds 0 the runs need not wait 3 s for each RSVP's card edits.
RUNS: dict[str, tuple[str, str]] = {
    "memory": ("memory", "--sizes 200 400 --updates 60 --sample-every 30 --card-edit-seconds 0"),
    "throughput": (
        "throughput",
        "--sizes 200 --rounds 1 --updates 20 --warmup 10 --bcrypt-rounds 4 --card-edit-seconds 0",
    ),
    "reminder_storm": ("reminder_storm", "--reminders 10 --budget 10"),
    "rollover_storm": ("rollover_storm", "--series 10 --budget 20"),
    "latency": ("latency", "--sizes 200 400 --slices 1 --slice-seconds 1 --warmup 10"),
    "burst": (
        "burst",
        "--events 200 --creates 3 --cycles 1 --quiet-seconds 0.5 --cooldown 0 --warmup-seconds 0.5 "
        "--bcrypt-rounds 4",
    ),
    "roundtrips": ("roundtrips", "--events 200 --updates 3 --warmup 2"),
    "throughput-without": (
        "throughput",
        "--sizes 200 --paths /event --rounds 1 --updates 20 --warmup 10 "
        "--without database guards keyboard card-text",
    ),
}
HAS_PYINSTRUMENT = importlib.util.find_spec("pyinstrument") is not None
if HAS_PYINSTRUMENT:  # a profiling tool, not a dependency: checked where it is installed
    RUNS["profile"] = ("profile", "/event --events 200 --updates 50 --without database")


@dataclass
class Run:
    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    figures: dict[str, Any] | None

    def check(self) -> dict[str, Any]:
        """The JSON it wrote, once it is known to have finished well."""
        assert self.returncode == 0, (
            f"{' '.join(self.command)} failed ({self.returncode}):\n{self.stderr[-3000:]}\n{self.stdout[-2000:]}"
        )
        assert self.figures is not None, f"{' '.join(self.command)} wrote no JSON"
        assert self.figures["code_fingerprint"] and self.figures["command"]
        return self.figures


def _run(module: str, arguments: str, output: Path, env: dict[str, str]) -> Run:
    command = [sys.executable, "-m", f"bench.{module}", *arguments.split()]
    if module != "profile":
        command += ["--json", str(output)]
    try:
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        return Run(command, -1, str(exc.stdout or ""), f"timed out after {TIMEOUT} s", None)
    figures = json.loads(output.read_text()) if output.exists() else None
    return Run(command, done.returncode, done.stdout, done.stderr, figures)


@pytest.fixture(scope="module")
def runs(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Run]]]:
    """Every run, started at once and run ``AT_ONCE`` at a time; each test waits for its own.

    ``postgres_url`` is asked for its check: no server means skip, or fail in CI.
    """
    del postgres_url
    folder = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "SKEDJIT_BENCH_POSTGRES_URL": POSTGRES_ADMIN_URL}
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        futures = {
            name: pool.submit(_run, module, arguments, folder / f"{name}.json", env)
            for name, (module, arguments) in RUNS.items()
        }
        yield futures
        for future in futures.values():
            future.cancel()


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_roundtrips_counts_every_path_on_the_wire(runs: dict[str, Future[Run]]) -> None:
    figures = runs["roundtrips"].result().check()
    paths = figures["paths"]
    assert set(paths) == {"/event", "/event (series)", "/start <link>", "rsvp tap", "vote", "/newevent"}
    for path, counted in paths.items():
        assert _positive(counted["round_trips_per_update"]), path
        assert counted["example_trace"], path
    assert set(figures["met"]) == {"/event", "/event (series)", "/start <link>", "vote"}


def test_throughput_compares_every_path_with_the_echo_bot(runs: dict[str, Future[Run]]) -> None:
    figures = runs["throughput"].result().check()
    assert figures["bot"] == "as shipped"
    summary = figures["summary"]
    assert set(summary) == {"/event", "/event (series)", "/start <link>", "rsvp tap", "vote", "/newevent"}
    for path, entry in summary.items():
        assert _positive(entry["echo_updates_per_s"]), path
        for figure in ("updates_per_s", "cpu_us_per_update", "ratio_to_echo"):
            assert _positive(entry["200"][figure]), (path, figure)
    for view in ("/event", "/start <link>"):
        assert _positive(summary[view]["200"]["updates_per_read_batch"])
        assert "met" in summary[view]["200"]


def test_throughput_switches_off_each_part_a_diagnosis_names(runs: dict[str, Future[Run]]) -> None:
    figures = runs["throughput-without"].result().check()
    for part in ("database", "guards", "keyboard", "card text"):
        assert part in figures["bot"]
    entry = figures["summary"]["/event"]["200"]
    assert _positive(entry["updates_per_s"]) and _positive(entry["ratio_to_echo"])
    assert entry["updates_per_read_batch"] is None  # the view's database was really switched off


def test_latency_reports_percentiles_at_both_sizes_and_their_ratio(runs: dict[str, Future[Run]]) -> None:
    summary = runs["latency"].result().check()["summary"]
    for size in ("200", "400"):
        assert summary[size]["views"] == 40
        assert _positive(summary[size]["p50_ms"]) and _positive(summary[size]["p99_ms"])
    assert _positive(summary["ratio_large_over_small"]["p99"])
    assert "met" in summary


def test_burst_compares_views_during_creates_with_quiet_views(runs: dict[str, Future[Run]]) -> None:
    summary = runs["burst"].result().check()["summary"]
    for phase in ("quiet", "burst"):
        assert summary[phase]["views"] > 0 and _positive(summary[phase]["p99_ms"]), phase
    assert _positive(summary["p99_ratio"]) and _positive(summary["create_seconds_p50"])


def test_memory_reports_peak_rss_at_both_sizes(runs: dict[str, Future[Run]]) -> None:
    summary = runs["memory"].result().check()["summary"]
    for size in ("200", "400"):
        assert summary[size]["updates"] == 60
        assert _positive(summary[size]["peak_rss_mb"]) and _positive(summary[size]["rss_after_trim_mb"])
        assert summary[size]["failed_updates"] == 0
    assert _positive(summary["peak_ratio_large_over_small"])


def test_reminder_storm_accounts_for_every_reminder_it_claimed(runs: dict[str, Future[Run]]) -> None:
    summary = runs["reminder_storm"].result().check()["summary"]
    assert summary["claimed"] == summary["delivered"] == 10
    assert summary["lost"] == 0 and summary["duplicates"] == 0
    assert _positive(summary["sends_per_s"]) and _positive(summary["fraction_of_allowed"])


def test_rollover_storm_moves_every_series_once_and_edits_its_card(runs: dict[str, Future[Run]]) -> None:
    summary = runs["rollover_storm"].result().check()["summary"]
    assert summary["series"] == summary["cards_edited"] == 10
    assert summary["not_moved"] == summary["moved_wrongly"] == summary["cards_stale_at_end"] == 0
    assert _positive(summary["moved_in_database_s"])


@pytest.mark.skipif(not HAS_PYINSTRUMENT, reason="pyinstrument is not installed (a tool, not a dependency)")
def test_profile_prints_where_a_path_spends_its_time(runs: dict[str, Future[Run]]) -> None:
    run = runs["profile"].result()
    assert run.returncode == 0, run.stderr[-3000:]
    assert "updates/s while profiled" in run.stdout


def test_a_part_that_is_no_longer_there_cannot_be_switched_off() -> None:
    switch = seams.Switch("a part")
    with pytest.raises(seams.SeamBroken, match="no 'render_card'"):
        switch.replace(SimpleNamespace(card=print), "render_card", print)


def test_a_replacement_the_bot_never_called_fails_the_run() -> None:
    switch = seams.Switch("a part")
    owner = SimpleNamespace(card=print)
    switch.replace(owner, "card", lambda *_: switch.count())
    with pytest.raises(seams.SeamBroken, match="never reached the replacement"):
        switch.check_used()
    owner.card()
    switch.check_used()
    switch.undo()
    assert owner.card is print
