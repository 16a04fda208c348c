"""Benchmark 1: updates per second through the whole PTB pipeline, against an echo bot, at 10k and 1M events.

    .venv/bin/python -m bench.throughput --json        # figures to bench/results/<date>-throughput.json

Three Applications run in one process: the echo bot, the bot on a database of 10,000 events and the
bot on one of 1,000,000 (bulk-loaded; every 4th event has 1-8 RSVPs and a card in its group). Each
takes its updates by long polling from a canned Bot API (bench/telegram_stub.py), all with
``concurrent_updates(True)`` and no rate limiter (see bench/apps.py). Measurements alternate: for each
path, in each round, the echo bot first, then the bot at 10k, then at 1M, so every ratio compares
figures taken seconds apart. The ratio reported is the median over rounds of bot/echo.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from bench import common, db, seams
from bench.apps import CONCURRENT_UPDATES, Runner, make_runner
from bench.diagnoses import Diagnosis, add_argument
from bench.telegram_stub import BOT_TOKEN
from bench.updates import UpdateFactory

PATHS = ("/event", "/event (series)", "/start <link>", "rsvp tap", "vote", "/newevent")
VIEWS = ("/event", "/event (series)", "/start <link>")
SIZES = ("10k", "1M")
TARGET_VIEW_RATIO = 0.5
MIN_UPDATES = {"echo": 2000, "/newevent": 24}
DEFAULT_MIN = 300


async def _timed(runner: Runner, raws: list[str]) -> dict[str, float]:
    reads, writes = runner.direct_batches()
    cpu = time.process_time()
    rate = await runner.run(raws)
    cpu_us = (time.process_time() - cpu) / len(raws) * 1e6
    await runner.drain_background()
    reads_after, writes_after = runner.direct_batches()
    return {
        "rate": rate,
        "cpu_us_per_update": cpu_us,
        "updates": len(raws),
        # Statements of the batched view path (core/storage/direct.py); 0 where it is not used.
        "read_batches": reads_after - reads,
        "write_batches": writes_after - writes,
    }


async def _measure(args: Any, diagnosis: Diagnosis) -> dict[str, Any]:
    clock = common.Stopwatch()
    sizes = {common.size_label(n): n for n in args.sizes}
    async with AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(db.bench_database(f"tp{name.lower()}")) for name in sizes
        }
        for name, n in sizes.items():
            await db.load_events(urls[name], 1, n)
            await db.load_polls(urls[name], n)
            clock.say(f"loaded {n:,} events")
        echo = make_runner("echo", None)
        bots = {
            name: make_runner(
                f"bot {name}",
                urls[name],
                diagnosis=diagnosis,
                bcrypt_rounds=args.bcrypt_rounds,
                card_edit_interval_seconds=args.card_edit_seconds,
            )
            for name in sizes
        }
        factories = {name: UpdateFactory(n, seed=11) for name, n in sizes.items()}
        echo_factory = UpdateFactory(10_000, seed=12)
        runners = [echo, *bots.values()]
        for runner in runners:
            await runner.start()
        counts: dict[str, int] = {}
        try:
            # Warm-up, checked: each path must leave its rows. Then the size of each measurement:
            # --updates, or about --seconds of work at the warm-up rate.
            warm = await _timed(echo, echo_factory.batch("echo", args.warmup * 10))
            counts["echo"] = args.updates or max(MIN_UPDATES["echo"], int(warm["rate"] * args.seconds))
            for path in args.paths:
                n = min(8, args.warmup) if path == "/newevent" else args.warmup
                rates = []
                for size, bot in bots.items():
                    async with bot.leaves_rows(path, n):
                        rates.append((await _timed(bot, factories[size].batch(path, n)))["rate"])
                counts[path] = args.updates or max(
                    MIN_UPDATES.get(path, DEFAULT_MIN), int(min(rates) * args.seconds)
                )
            clock.say(
                "warmed up; updates per measurement: " + ", ".join(f"{k} {v}" for k, v in counts.items())
            )
            rounds: list[dict[str, Any]] = []
            for r in range(args.rounds):
                this_round: dict[str, Any] = {}
                for path in args.paths:
                    echo_run = await _timed(echo, echo_factory.batch("echo", counts["echo"]))
                    entry: dict[str, Any] = {"echo": echo_run}
                    for size, bot in bots.items():
                        entry[size] = await _timed(bot, factories[size].batch(path, counts[path]))
                        entry[size]["ratio"] = entry[size]["rate"] / echo_run["rate"]
                    this_round[path] = entry
                rounds.append(this_round)
                clock.say(
                    f"round {r + 1}/{args.rounds}: "
                    + ", ".join(
                        f"{p} {this_round[p][s]['rate']:.0f}/s ({s})" for p in args.paths for s in bots
                    )
                )
            diagnosis.check_used()
            calls = {runner.name: dict(runner.request.calls) for runner in runners}
        finally:
            for runner in runners:
                await runner.stop()
    return {"counts": counts, "rounds": rounds, "calls": calls, "sizes": sizes}


def _summarise(raw: dict[str, Any]) -> dict[str, Any]:
    rounds = raw["rounds"]
    summary: dict[str, Any] = {}
    for path in rounds[0]:
        echo_rates = [r[path]["echo"]["rate"] for r in rounds]
        echo_cpu = [r[path]["echo"]["cpu_us_per_update"] for r in rounds]
        entry: dict[str, Any] = {
            "echo_updates_per_s": common.median(echo_rates),
            "echo_cpu_us_per_update": common.median(echo_cpu),
        }
        for size in raw["sizes"]:
            ratios = [r[path][size]["ratio"] for r in rounds]
            entry[size] = {
                "updates_per_s": common.median([r[path][size]["rate"] for r in rounds]),
                "cpu_us_per_update": common.median([r[path][size]["cpu_us_per_update"] for r in rounds]),
                "ratio_to_echo": common.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "updates_per_read_batch": _per_batch(rounds, path, size, "read_batches"),
                "updates_per_write_batch": _per_batch(rounds, path, size, "write_batches"),
            }
            if path in VIEWS:
                entry[size]["target"] = TARGET_VIEW_RATIO
                entry[size]["met"] = entry[size]["ratio_to_echo"] >= TARGET_VIEW_RATIO
        summary[path] = entry
    return summary


def _per_batch(rounds: list[dict[str, Any]], path: str, size: str, kind: str) -> float | None:
    batches = sum(r[path][size][kind] for r in rounds)
    return sum(r[path][size]["updates"] for r in rounds) / batches if batches else None


def _report(summary: dict[str, Any], raw: dict[str, Any], args: Any) -> None:
    rows = []
    for path, entry in summary.items():
        for size in raw["sizes"]:
            s = entry[size]
            rows.append(
                [
                    path,
                    size,
                    s["updates_per_s"],
                    entry["echo_updates_per_s"],
                    s["ratio_to_echo"],
                    f"{s['ratio_min']:.3f}-{s['ratio_max']:.3f}",
                    s["cpu_us_per_update"],
                    entry["echo_cpu_us_per_update"],
                    f"≥{TARGET_VIEW_RATIO}" if path in VIEWS else "-",
                    s.get("met", "-"),
                    _cell(s["updates_per_read_batch"]),
                    _cell(s["updates_per_write_batch"]),
                ]
            )
    common.print_table(
        f"Throughput through PTB ({args.variant}), concurrent_updates={CONCURRENT_UPDATES}, no rate limiter, "
        f"median of {args.rounds} rounds (ratio = bot / echo measured just before it)",
        [
            "path",
            "events",
            "updates/s",
            "echo/s",
            "ratio",
            "ratio range",
            "CPU µs/update",
            "echo CPU µs",
            "target",
            "met",
            "updates/read batch",
            "updates/write batch",
        ],
        rows,
    )


def _cell(per_batch: float | None) -> str:
    return "-" if per_batch is None else f"{per_batch:.1f}"


def main(argv: Sequence[str] | None = None) -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="measurement rounds (default 3)")
    p.add_argument(
        "--seconds", type=float, default=1.5, help="about how long each measurement runs (default 1.5)"
    )
    p.add_argument(
        "--updates", type=int, help="updates per measurement, instead of --seconds' worth (for a quick check)"
    )
    p.add_argument("--warmup", type=int, default=200, help="updates per path and bot before measuring")
    p.add_argument(
        "--sizes",
        nargs="+",
        type=common.parse_size,
        default=[common.parse_size(s) for s in SIZES],
        metavar="EVENTS",
        help="table sizes, e.g. 10k 1M (the default)",
    )
    p.add_argument("--paths", nargs="+", default=list(PATHS), choices=list(PATHS), help="paths to run")
    p.add_argument(
        "--bcrypt-rounds",
        type=int,
        default=seams.DEPLOYED_BCRYPT_ROUNDS,
        help="bcrypt cost (default: as deployed)",
    )
    common.add_card_edit_argument(p)
    add_argument(p, "measure")
    args = p.parse_args(argv)
    common.configure_logging(args.log_level, BOT_TOKEN)
    diagnosis = Diagnosis(args.without)
    args.variant = diagnosis.label
    print(f"bot: {args.variant}")
    raw = asyncio.run(_measure(args, diagnosis))
    summary = _summarise(raw)
    _report(summary, raw, args)
    common.write_json(
        args.json,
        "throughput",
        argv,
        {
            "bot": args.variant,
            "concurrent_updates": CONCURRENT_UPDATES,
            "rate_limiter": None,
            "bcrypt_rounds": args.bcrypt_rounds,
            "target_view_ratio": TARGET_VIEW_RATIO,
            "sizes": raw["sizes"],
            "summary": summary,
            "updates_per_measurement": raw["counts"],
            "rounds": raw["rounds"],
            "bot_api_calls": raw["calls"],
        },
        variant=diagnosis.file_suffix,
    )


if __name__ == "__main__":
    main()
