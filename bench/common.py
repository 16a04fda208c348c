"""What every benchmark shares: its command line, statistics, the printed table and the JSON file."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import telegram

from bench import seams

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
DATED = Path("<dated>")  # what ``--json`` without a path stands for


def code_fingerprint() -> str:
    """SHA-256 (first 16 hex digits) of the bot's sources, to tell which code a result measured."""
    digest = hashlib.sha256()
    for folder in ("core", "bot", "migrations"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# Taken when the benchmark starts, i.e. of the code it loads (the files may change while it runs).
CODE_AT_START = code_fingerprint()


def parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark takes; each adds its own."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--json",
        type=Path,
        nargs="?",
        const=DATED,
        metavar="PATH",
        help="also write the figures as JSON: to PATH, or without one to bench/results/<date>-<name>.json",
    )
    p.add_argument(
        "--log-level",
        default="INFO",
        help="the bot's log level (INFO, as deployed: one line per update, written to /dev/null)",
    )
    return p


def add_card_edit_argument(p: argparse.ArgumentParser) -> None:
    """``--card-edit-seconds``: after an RSVP the benchmark waits for the card's edits, untimed."""
    p.add_argument(
        "--card-edit-seconds",
        type=float,
        default=3.0,
        help="least time between two edits of a card (default 3, as deployed; 0 for a quick check)",
    )


def parse_size(text: str) -> int:
    """A number of events as written on the command line: ``200``, ``10k``, ``1M``."""
    factor = {"k": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    try:
        value = int(text[:-1] if factor > 1 else text) * factor
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of events such as 200, 10k or 1M"
        ) from None
    if value < 8:
        raise argparse.ArgumentTypeError("at least 8 events (every 4th has a card)")
    return value


def size_label(events: int) -> str:
    """``10k``, ``1M``, ``200``: how a table size is named in the tables and the JSON."""
    for suffix, factor in (("M", 1_000_000), ("k", 1_000)):
        if events >= factor and events % factor == 0:
            return f"{events // factor}{suffix}"
    return str(events)


def configure_logging(level: str, token: str) -> None:
    """Log as ``python -m bot`` does (same format, same secret filter), but into /dev/null."""
    seams.configure_logging(level, token)
    sink = open(os.devnull, "w")  # open for the life of the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain-text table: numbers right-aligned, everything else left-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) if rows else False for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if numeric[i] else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    print(f"\n{title}")
    print(line(list(headers)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
    sys.stdout.flush()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_json(
    path: Path | None,
    benchmark: str,
    argv: Sequence[str] | None,
    payload: dict[str, Any],
    *,
    variant: str = "",
) -> Path | None:
    """Write the figures with what produced them; nothing when no path was given.

    ``DATED`` (``--json`` alone) is ``bench/results/<date>-<benchmark>[-<variant>].json``.
    """
    if path is None:
        return None
    if path == DATED:
        name = "-".join(part for part in (datetime.now(UTC).date().isoformat(), benchmark, variant) if part)
        path = RESULTS_DIR / f"{name}.json"
    document = {
        "benchmark": benchmark,
        "command": command_line(benchmark, argv),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_fingerprint": CODE_AT_START,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "python_telegram_bot": telegram.__version__,
            "platform": platform.platform(),
            # The machines are shared: a high load means noisy rates and latencies.
            "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
        },
        **payload,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_no_nan(document), indent=2, default=str, allow_nan=False) + "\n")
    print(f"\nwrote {path}")
    return path


def _no_nan(value: Any) -> Any:
    """NaN (a percentile of no samples) as null, so the file is valid JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value


def command_line(benchmark: str, argv: Sequence[str] | None) -> str:
    arguments = sys.argv[1:] if argv is None else list(argv)
    return " ".join([".venv/bin/python -m", f"bench.{benchmark}", *arguments])


class Stopwatch:
    """Wall time since creation, and a check against a budget in seconds."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def say(self, message: str) -> None:
        print(f"[{self.elapsed():6.1f}s] {message}", flush=True)
