"""Benchmark 4: bcrypt stays off the event loop: p99 of views during a burst of 20 /newevent, against none.

    .venv/bin/python -m bench.burst --json        # figures to bench/results/<date>-burst.json

One bot on a database of 10,000 events, with bcrypt at its deployed cost (10, about 60 ms of CPU a
hash). ``/event`` views arrive on a fixed schedule (open loop, bench/openloop.py) the whole time.
Cycles alternate a quiet phase (views only) with a burst phase: 20 ``/newevent`` sent at once, views
going on until the last of them is done. The p99 of views in burst phases is compared with the p99 in
quiet phases; the cycles interleave, so both kinds of phase see the same machine. A loop-lag probe
(a task asking to sleep 5 ms) shows whether the event loop itself stalled.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update

from bench import common, db, seams
from bench.apps import Runner, make_runner
from bench.openloop import LoopLag
from bench.telegram_stub import BOT_TOKEN
from bench.updates import UpdateFactory

EVENTS = "10k"
TARGET_P99_RATIO = 2.0
WARMUP_CREATES = 3


def _inject(runner: Runner, raw: str) -> int:
    update = Update.de_json(json.loads(raw), runner.app.bot)
    runner.app.update_queue.put_nowait(update)
    return update.update_id


async def _views(
    runner: Runner, factory: UpdateFactory, rate: float, *, until: Callable[[int], bool]
) -> list[tuple[float, int]]:
    """Send views at ``rate`` until ``until(views sent)``; return (scheduled arrival, update id) of each."""
    t0 = time.perf_counter()
    sent: list[tuple[float, int]] = []
    k = 0
    while True:
        due = t0 + k / rate
        if until(k):
            return sent
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append((due, _inject(runner, factory.event_view())))
        k += 1


async def _all_done(runner: Runner, ids: list[int]) -> None:
    done_at = runner.pipe.done_at
    assert done_at is not None
    while not all(i in done_at for i in ids):  # noqa: ASYNC110 - polls what the done handler records
        await asyncio.sleep(0.005)


async def _measure(args: Any) -> dict[str, Any]:
    clock = common.Stopwatch()
    async with db.bench_database("burst") as url:
        await db.load_events(url, 1, args.events)
        runner = make_runner("bot", url, polling=False, bcrypt_rounds=args.bcrypt_rounds)
        runner.pipe.done_at = {}
        factory = UpdateFactory(args.events, seed=41)
        lag = LoopLag()
        await runner.start()
        cycles: list[dict[str, Any]] = []
        try:
            warm_views = round(args.warmup_seconds * args.rate)
            async with runner.leaves_rows("/event", warm_views):
                warm = await _views(runner, factory, args.rate, until=lambda k: k >= warm_views)
                await _all_done(runner, [i for _, i in warm])
            async with runner.leaves_rows("/newevent", WARMUP_CREATES):
                warm_creates = [_inject(runner, factory.newevent()) for _ in range(WARMUP_CREATES)]
                await _all_done(runner, warm_creates)
            clock.say(
                f"warmed up; {args.cycles} cycles of quiet {args.quiet_seconds:g} s, then {args.creates} creates"
            )
            lag.start()
            done_at = runner.pipe.done_at
            for c in range(args.cycles):
                quiet_start = time.perf_counter()
                quiet = await _views(
                    runner, factory, args.rate, until=lambda k: k / args.rate >= args.quiet_seconds
                )
                quiet_end = time.perf_counter()
                burst_start = time.perf_counter()
                creates = [_inject(runner, factory.newevent()) for _ in range(args.creates)]

                def creates_done(_views_sent: int, ids: list[int] = creates) -> bool:
                    return all(i in done_at for i in ids)

                burst = await _views(runner, factory, args.rate, until=creates_done)
                burst_end = max(done_at[i] for i in creates)
                await _all_done(runner, [i for _, i in quiet + burst])
                await asyncio.sleep(args.cooldown)
                cycle = {
                    "quiet": [done_at[i] - due for due, i in quiet],
                    "burst": [done_at[i] - due for due, i in burst],
                    "create_seconds": [done_at[i] - burst_start for i in creates],
                    "lag_quiet": lag.between(quiet_start, quiet_end),
                    "lag_burst": lag.between(burst_start, burst_end),
                }
                cycles.append(cycle)
                clock.say(
                    f"cycle {c + 1}/{args.cycles}: quiet p99 {common.percentile(cycle['quiet'], 99) * 1e3:.1f} ms, "
                    f"burst p99 {common.percentile(cycle['burst'], 99) * 1e3:.1f} ms "
                    f"({len(cycle['burst'])} views while the creates ran {burst_end - burst_start:.1f} s)"
                )
            errors = dict(runner.pipe.errors)
            calls = dict(runner.request.calls)
        finally:
            await lag.stop()
            await runner.stop()
    if errors:
        raise RuntimeError(f"updates failed: {errors}")
    return {"cycles": cycles, "calls": calls, "rate": args.rate}


def _phase(cycles: list[dict[str, Any]], key: str) -> dict[str, float]:
    ms = [x * 1e3 for c in cycles for x in c[key]]
    lag = [x * 1e3 for c in cycles for x in c["lag_" + key]]
    return {
        "views": len(ms),
        "p50_ms": common.percentile(ms, 50),
        "p99_ms": common.percentile(ms, 99),
        "max_ms": max(ms),
        "loop_lag_p99_ms": common.percentile(lag, 99),
        "loop_lag_max_ms": max(lag),
    }


def _summarise(raw: dict[str, Any]) -> dict[str, Any]:
    cycles = raw["cycles"]
    quiet, burst = _phase(cycles, "quiet"), _phase(cycles, "burst")
    per_cycle = [common.percentile(c["burst"], 99) / common.percentile(c["quiet"], 99) for c in cycles]
    creates = [x for c in cycles for x in c["create_seconds"]]
    ratio = burst["p99_ms"] / quiet["p99_ms"]
    # Burst views are sent at ``rate`` from the burst's start: view k arrived k / rate seconds in.
    rate = raw["rate"]
    early = [x * 1e3 for c in cycles for k, x in enumerate(c["burst"]) if k / rate < 1.0]
    late = [x * 1e3 for c in cycles for k, x in enumerate(c["burst"]) if k / rate >= 1.0]
    return {
        "quiet": quiet,
        "burst": burst,
        "p99_ratio": ratio,
        "p99_ratio_per_cycle": per_cycle,
        "burst_first_second_p99_ms": common.percentile(early, 99),
        "burst_after_first_second_p99_ms": common.percentile(late, 99),
        "create_seconds_p50": common.percentile(creates, 50),
        "create_seconds_max": max(creates),
        "target_p99_ratio": TARGET_P99_RATIO,
        "met": ratio <= TARGET_P99_RATIO,
    }


def _report(summary: dict[str, Any], args: Any) -> None:
    rows = [
        [
            name,
            summary[name]["views"],
            summary[name]["p50_ms"],
            summary[name]["p99_ms"],
            summary[name]["max_ms"],
            summary[name]["loop_lag_p99_ms"],
            summary[name]["loop_lag_max_ms"],
        ]
        for name in ("quiet", "burst")
    ]
    common.print_table(
        f"/event views at {args.rate:g}/s, quiet vs during {args.creates} concurrent /newevent "
        f"(bcrypt cost {args.bcrypt_rounds}), {args.cycles} cycles",
        ["phase", "views", "p50 ms", "p99 ms", "max ms", "loop lag p99 ms", "loop lag max ms"],
        rows,
    )
    per_cycle = ", ".join(f"{r:.2f}" for r in summary["p99_ratio_per_cycle"])
    print(
        f"p99 burst/quiet: {summary['p99_ratio']:.2f} (target ≤ {TARGET_P99_RATIO}: "
        f"{'met' if summary['met'] else 'MISSED'}); per cycle: {per_cycle}\n"
        f"a /newevent took {summary['create_seconds_p50']:.2f} s (median) and up to "
        f"{summary['create_seconds_max']:.2f} s in a burst\n"
        f"burst views arriving in its first second: p99 {summary['burst_first_second_p99_ms']:.1f} ms; "
        f"after it: p99 {summary['burst_after_first_second_p99_ms']:.1f} ms"
    )


def main(argv: Sequence[str] | None = None) -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=float, default=60.0, help="views per second (default 60)")
    p.add_argument("--creates", type=int, default=20, help="creates per burst (default 20)")
    p.add_argument("--cycles", type=int, default=5, help="quiet/burst cycles (default 5)")
    p.add_argument("--quiet-seconds", type=float, default=4.0, help="length of a quiet phase (default 4)")
    p.add_argument(
        "--cooldown", type=float, default=1.0, help="pause after a burst, not measured (default 1)"
    )
    p.add_argument("--warmup-seconds", type=float, default=3.0, help="views before measuring (default 3 s)")
    p.add_argument(
        "--bcrypt-rounds",
        type=int,
        default=seams.DEPLOYED_BCRYPT_ROUNDS,
        help="bcrypt cost (default: as deployed)",
    )
    p.add_argument(
        "--events",
        type=common.parse_size,
        default=common.parse_size(EVENTS),
        help="events loaded (default 10k)",
    )
    args = p.parse_args(argv)
    common.configure_logging(args.log_level, BOT_TOKEN)
    raw = asyncio.run(_measure(args))
    summary = _summarise(raw)
    _report(summary, args)
    common.write_json(
        args.json,
        "burst",
        argv,
        {
            "events": args.events,
            "rate_per_s": args.rate,
            "creates_per_burst": args.creates,
            "bcrypt_rounds": args.bcrypt_rounds,
            "summary": summary,
            "bot_api_calls": raw["calls"],
        },
    )


if __name__ == "__main__":
    main()
