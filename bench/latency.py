"""Benchmark 2: p50 and p99 latency of a view at 10,000 and at 1,000,000 events, and their ratio.

    .venv/bin/python -m bench.latency --json bench/results/latency.json

Two bots run in one process, one per database (bulk-loaded as in bench.throughput). ``/event <link>``
views of random events arrive on a fixed schedule (open loop, bench/openloop.py) at ``--rate`` per
second in all, well below what the bot sustains, so the figures are service time plus the queueing a
real user would see, not a saturated backlog. Arrivals alternate between the two sizes (10k, 1M,
10k, ...) in one schedule, so whatever else the machine does at a given moment hits both alike; the
ratio compares all samples of one size with all of the other. After the load both tables are in
the OS page cache (this machine has 24 GB), so the comparison is of plans and index depth, not disks.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench import common, db
from bench.apps import Runner, make_runner
from bench.openloop import run_open_loop
from bench.telegram_stub import BOT_TOKEN
from bench.updates import PATHS, UpdateFactory

SIZES = {"10k": 10_000, "1M": 1_000_000}
TARGET_P99_RATIO = 1.2


async def _measure(args: Any) -> dict[str, Any]:
    clock = common.Stopwatch()
    async with db.bench_database("lat10k") as url10k, db.bench_database("lat1m") as url1m:
        urls = {"10k": url10k, "1M": url1m}
        for name, n in SIZES.items():
            await db.load_events(urls[name], 1, n)
            clock.say(f"loaded {n:,} events")
        bots = {name: make_runner(f"bot {name}", urls[name], polling=False) for name in SIZES}
        factories = {name: UpdateFactory(n, seed=31) for name, n in SIZES.items()}
        for bot in bots.values():
            await bot.start()

        def paired(count: int) -> list[tuple[Runner, str]]:
            """Arrivals alternate between the sizes: 10k, 1M, 10k, 1M..."""
            make = {name: factories[name].path(args.path) for name in SIZES}
            return [(bots[name], make[name]()) for _ in range(count) for name in SIZES]

        samples: dict[str, list[float]] = {name: [] for name in SIZES}
        slices: list[dict[str, Any]] = []
        try:
            await run_open_loop(paired(args.warmup), args.rate)
            for bot in bots.values():
                await bot.drain_background()
            clock.say(f"warmed up with {args.warmup} views each; measuring at {args.rate:g}/s in all")
            per_slice = int(args.rate * args.slice_seconds / len(SIZES))
            for s in range(args.slices):
                result = await run_open_loop(paired(per_slice), args.rate)
                for bot in bots.values():
                    await bot.drain_background()
                entry: dict[str, Any] = {}
                for name, bot in bots.items():
                    latencies = [lat for runner, _due, lat in result if runner is bot]
                    samples[name].extend(latencies)
                    entry[name] = {
                        "p50_ms": common.percentile(latencies, 50) * 1e3,
                        "p99_ms": common.percentile(latencies, 99) * 1e3,
                    }
                slices.append(entry)
                clock.say(
                    f"slice {s + 1}/{args.slices}: "
                    + ", ".join(
                        f"{n} p50 {e['p50_ms']:.1f} ms p99 {e['p99_ms']:.1f} ms" for n, e in entry.items()
                    )
                )
        finally:
            for bot in bots.values():
                await bot.stop()
    return {"samples": samples, "slices": slices}


def _summarise(raw: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, latencies in raw["samples"].items():
        ms = [x * 1e3 for x in latencies]
        summary[name] = {
            "views": len(ms),
            "p50_ms": common.percentile(ms, 50),
            "p90_ms": common.percentile(ms, 90),
            "p99_ms": common.percentile(ms, 99),
            "max_ms": max(ms),
        }
    summary["ratio_1M_over_10k"] = {
        q: summary["1M"][f"{q}_ms"] / summary["10k"][f"{q}_ms"] for q in ("p50", "p90", "p99")
    }
    slice_ratios = [s["1M"]["p99_ms"] / s["10k"]["p99_ms"] for s in raw["slices"]]
    summary["p99_ratio_per_slice"] = slice_ratios
    summary["target_p99_ratio"] = TARGET_P99_RATIO
    summary["met"] = summary["ratio_1M_over_10k"]["p99"] <= TARGET_P99_RATIO
    return summary


def _report(summary: dict[str, Any], args: Any) -> None:
    rows = [
        [
            name,
            summary[name]["views"],
            summary[name]["p50_ms"],
            summary[name]["p90_ms"],
            summary[name]["p99_ms"],
            summary[name]["max_ms"],
        ]
        for name in SIZES
    ]
    ratio = summary["ratio_1M_over_10k"]
    rows.append(["ratio 1M/10k", "-", ratio["p50"], ratio["p90"], ratio["p99"], "-"])
    common.print_table(
        f"Latency of {args.path} views, open loop at {args.rate:g}/s in all, arrivals alternating between "
        f"the sizes, {args.slices} slices of {args.slice_seconds:g} s (ms, scheduled arrival to fully handled)",
        ["events", "views", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        rows,
    )
    per_slice = ", ".join(f"{r:.2f}" for r in summary["p99_ratio_per_slice"])
    print(
        f"p99 ratio 1M/10k: {ratio['p99']:.2f} (target ≤ {TARGET_P99_RATIO}: "
        f"{'met' if summary['met'] else 'MISSED'}); per slice: {per_slice}"
    )


def main() -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--path", default="/event", choices=[k for k in PATHS if k != "echo"])
    p.add_argument(
        "--rate", type=float, default=80.0, help="views per second, both sizes together (default 80)"
    )
    p.add_argument("--slices", type=int, default=6, help="slices (default 6)")
    p.add_argument("--slice-seconds", type=float, default=10.0, help="length of a slice (default 10)")
    p.add_argument("--warmup", type=int, default=400, help="views per size before measuring")
    args = p.parse_args()
    common.configure_logging(args.log_level, BOT_TOKEN)
    raw = asyncio.run(_measure(args))
    summary = _summarise(raw)
    _report(summary, args)
    common.write_json(
        args.json,
        "latency",
        common.command_line(),
        {
            "path": args.path,
            "rate_per_s": args.rate,
            "slices": raw["slices"],
            "summary": summary,
        },
    )


if __name__ == "__main__":
    main()
