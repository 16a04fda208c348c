"""Profile one path under benchmark load with pyinstrument (not a benchmark: a tool to find causes).

    .venv/bin/pip install pyinstrument   # a profiling tool, deliberately not a project dependency
    .venv/bin/python -m bench.profile /event --updates 2000 --html bench/results/profile-event.html

Runs the bot exactly as bench.throughput does (polling, 256 concurrent updates, canned Bot API,
PostgreSQL with ``--events`` bulk-loaded events) and samples the event-loop thread for the whole run,
so the profile shows where the loop spends its time across every task, not one coroutine's view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import common, db, seams
from bench.apps import make_runner
from bench.diagnoses import Diagnosis, add_argument
from bench.telegram_stub import BOT_TOKEN
from bench.updates import PATHS, UpdateFactory


async def _run(args: Any, diagnosis: Diagnosis) -> None:
    from pyinstrument import Profiler

    async with db.bench_database("profile") as url:
        await db.load_events(url, 1, args.events)
        if args.path == "echo":
            runner = make_runner("echo", None)
        else:
            runner = make_runner(args.path, url, diagnosis=diagnosis, bcrypt_rounds=args.bcrypt_rounds)
        factory = UpdateFactory(args.events, seed=21)
        await runner.start()
        try:
            await runner.run(factory.batch(args.path, min(args.updates, 300)))  # warm-up
            await runner.drain_background()
            profiler = Profiler(interval=args.interval, async_mode="disabled")
            profiler.start()
            rate = await runner.run(factory.batch(args.path, args.updates))
            await runner.drain_background()
            profiler.stop()
            diagnosis.check_used()
        finally:
            await runner.stop()
    print(f"{args.path}: {rate:.0f} updates/s while profiled")
    print(profiler.output_text(unicode=True, color=False, show_all=args.all, timeline=False, flat=args.flat))
    if args.html:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(profiler.output_html())
        print(f"wrote {args.html}")


def main(argv: Sequence[str] | None = None) -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("path", choices=list(PATHS), help="which updates to send")
    p.add_argument("--updates", type=int, default=2000)
    p.add_argument("--events", type=common.parse_size, default=10_000)
    p.add_argument("--bcrypt-rounds", type=int, default=seams.DEPLOYED_BCRYPT_ROUNDS)
    p.add_argument("--interval", type=float, default=0.0005, help="sampling interval in seconds")
    p.add_argument("--flat", action="store_true", help="list functions by their own time instead of a tree")
    p.add_argument("--all", action="store_true", help="show library frames too")
    p.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    add_argument(p, "profile")
    args = p.parse_args(argv)
    common.configure_logging(args.log_level, BOT_TOKEN)
    diagnosis = Diagnosis(args.without)
    print(diagnosis.label)
    asyncio.run(_run(args, diagnosis))


if __name__ == "__main__":
    main()
