"""Benchmark 2: p50 and p99 latency of a view at 10,000 and at 1,000,000 events, and their ratio.

    .venv/bin/python -m bench.latency --json        # figures to bench/results/<date>-latency.json

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
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

from bench import common, db
from bench.apps import Runner, make_runner
from bench.openloop import run_open_loop
from bench.telegram_stub import BOT_TOKEN
from bench.updates import EFFECTS, UpdateFactory

SIZES = ("10k", "1M")
TARGET_P99_RATIO = 1.2


async def _measure(args: Any) -> dict[str, Any]:
    clock = common.Stopwatch()
    sizes = {common.size_label(n): n for n in args.sizes}
    async with AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(db.bench_database(f"lat{name.lower()}")) for name in sizes
        }
        for name, n in sizes.items():
            await db.load_events(urls[name], 1, n)
            clock.say(f"loaded {n:,} events")
        bots = {name: make_runner(f"bot {name}", urls[name], polling=False) for name in sizes}
        factories = {name: UpdateFactory(n, seed=31) for name, n in sizes.items()}
        for bot in bots.values():
            await bot.start()

        def paired(count: int) -> list[tuple[Runner, str]]:
            """Arrivals alternate between the sizes: small, large, small, large..."""
            make = {name: factories[name].path(args.path) for name in sizes}
            return [(bots[name], make[name]()) for _ in range(count) for name in sizes]

        samples: dict[str, list[float]] = {name: [] for name in sizes}
        slices: list[dict[str, Any]] = []
        try:
            async with AsyncExitStack() as checks:
                for bot in bots.values():
                    await checks.enter_async_context(bot.leaves_rows(args.path, args.warmup))
                await run_open_loop(paired(args.warmup), args.rate)
            clock.say(f"warmed up with {args.warmup} views each; measuring at {args.rate:g}/s in all")
            per_slice = max(1, int(args.rate * args.slice_seconds / len(sizes)))
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
    return {"sizes": sizes, "samples": samples, "slices": slices}


def _summarise(raw: dict[str, Any]) -> dict[str, Any]:
    small, large = raw["sizes"]
    summary: dict[str, Any] = {"small": small, "large": large}
    for name, latencies in raw["samples"].items():
        ms = [x * 1e3 for x in latencies]
        summary[name] = {
            "views": len(ms),
            "p50_ms": common.percentile(ms, 50),
            "p90_ms": common.percentile(ms, 90),
            "p99_ms": common.percentile(ms, 99),
            "max_ms": max(ms),
        }
    summary["ratio_large_over_small"] = {
        q: summary[large][f"{q}_ms"] / summary[small][f"{q}_ms"] for q in ("p50", "p90", "p99")
    }
    slice_ratios = [s[large]["p99_ms"] / s[small]["p99_ms"] for s in raw["slices"]]
    summary["p99_ratio_per_slice"] = slice_ratios
    summary["target_p99_ratio"] = TARGET_P99_RATIO
    summary["met"] = summary["ratio_large_over_small"]["p99"] <= TARGET_P99_RATIO
    return summary


def _report(summary: dict[str, Any], args: Any) -> None:
    small, large = summary["small"], summary["large"]
    rows = [
        [
            name,
            summary[name]["views"],
            summary[name]["p50_ms"],
            summary[name]["p90_ms"],
            summary[name]["p99_ms"],
            summary[name]["max_ms"],
        ]
        for name in (small, large)
    ]
    ratio = summary["ratio_large_over_small"]
    rows.append([f"ratio {large}/{small}", "-", ratio["p50"], ratio["p90"], ratio["p99"], "-"])
    common.print_table(
        f"Latency of {args.path} views, open loop at {args.rate:g}/s in all, arrivals alternating between "
        f"the sizes, {args.slices} slices of {args.slice_seconds:g} s (ms, scheduled arrival to fully handled)",
        ["events", "views", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        rows,
    )
    per_slice = ", ".join(f"{r:.2f}" for r in summary["p99_ratio_per_slice"])
    print(
        f"p99 ratio {large}/{small}: {ratio['p99']:.2f} (target ≤ {TARGET_P99_RATIO}: "
        f"{'met' if summary['met'] else 'MISSED'}); per slice: {per_slice}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--path", default="/event", choices=list(EFFECTS))
    p.add_argument(
        "--sizes",
        nargs=2,
        type=common.parse_size,
        default=[common.parse_size(s) for s in SIZES],
        metavar=("SMALL", "LARGE"),
        help="the two table sizes compared (default 10k 1M)",
    )
    p.add_argument(
        "--rate", type=float, default=80.0, help="views per second, both sizes together (default 80)"
    )
    p.add_argument("--slices", type=int, default=6, help="slices (default 6)")
    p.add_argument("--slice-seconds", type=float, default=10.0, help="length of a slice (default 10)")
    p.add_argument("--warmup", type=int, default=400, help="views per size before measuring")
    args = p.parse_args(argv)
    if args.sizes[0] >= args.sizes[1]:
        p.error("--sizes: the first size must be the smaller")
    common.configure_logging(args.log_level, BOT_TOKEN)
    raw = asyncio.run(_measure(args))
    summary = _summarise(raw)
    _report(summary, args)
    common.write_json(
        args.json,
        "latency",
        argv,
        {
            "path": args.path,
            "rate_per_s": args.rate,
            "sizes": raw["sizes"],
            "slices": raw["slices"],
            "summary": summary,
        },
    )


if __name__ == "__main__":
    main()
