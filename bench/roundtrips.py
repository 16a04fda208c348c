"""Benchmark 3: database round trips per update, for each path, counted on the wire.

    .venv/bin/python -m bench.roundtrips --json        # figures to bench/results/<date>-roundtrips.json

The bot talks to PostgreSQL through a counting loopback proxy (bench/pgproxy.py). Updates go one at
a time through ``Application.process_update`` (JSON in, canned Bot API out) after a warm-up that fills
asyncpg's prepared-statement cache, so the counts are those of a bot that has been running a while.
An RSVP tap also starts a card refresh in the background (re-read the event, list its cards, edit
them); its round trips are counted separately. bcrypt cost is lowered to 4 here: it costs CPU, not
round trips. Counts are exact and do not depend on the machine's load.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from telegram import Update

from bench import common, db
from bench.apps import make_runner
from bench.pgproxy import PgProxy
from bench.telegram_stub import BOT_TOKEN
from bench.updates import UpdateFactory

PATHS = ("/event", "/event (series)", "/start <link>", "rsvp tap", "vote", "/newevent")
EVENTS = "10k"
TARGET_VIEW_ROUND_TRIPS = 2
COLUMNS = ("ping", "BEGIN", "SELECT", "INSERT", "UPDATE", "DELETE", "COMMIT", "ROLLBACK", "prepare", "other")


class _SqlAlchemyCounter:
    """Statements as SQLAlchemy sees them (cursor executions), to cross-check the wire counts."""

    def __init__(self) -> None:
        self.executions = 0
        event.listen(Engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.executions += 1


def _column(label: str) -> str:
    if label.startswith("ping"):
        return "ping"
    if label.startswith("prepare") or label == "close statement":
        return "prepare"
    head = label.split(" ", 1)[0]
    return head if head in COLUMNS else "other"


async def _measure(args: Any) -> dict[str, Any]:
    clock = common.Stopwatch()
    server = make_url(db.ADMIN_URL)
    proxy = PgProxy(server.host or "127.0.0.1", server.port or 5432)
    port = await proxy.start()
    sqlalchemy = _SqlAlchemyCounter()
    results: dict[str, Any] = {}
    async with db.bench_database("roundtrips") as url:
        await db.load_events(url, 1, args.events)
        await db.load_polls(url, args.events)
        proxied = make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        runner = make_runner("bot", proxied, polling=False, bcrypt_rounds=4, card_edit_interval_seconds=0)
        # Not started: the job queue's reminder poll would add its round trips to the updates'.
        await runner.app.initialize()
        await runner.app.post_init(runner.app)  # type: ignore[misc]
        bot = runner.app.bot
        factory = UpdateFactory(args.events, seed=3)
        clock.say(f"database ready ({args.events:,} events); counting through the proxy on port {port}")

        async def one(raw: str) -> None:
            await runner.app.process_update(Update.de_json(json.loads(raw), bot))

        try:
            for path in args.paths:
                async with runner.leaves_rows(path, args.warmup):
                    for _ in range(args.warmup):
                        await one(factory.path(path)())
                        await runner.drain_background()
                handler_trips = background_trips = statements = orm = 0
                labels: Counter[str] = Counter()
                example: list[str] = []
                example_background: list[str] = []
                errors_before = sum(runner.pipe.errors.values())
                for n in range(args.updates):
                    mark = len(proxy.trace)
                    rt0, st0, lab0 = proxy.snapshot()
                    orm0 = sqlalchemy.executions
                    await one(factory.path(path)())
                    rt1 = proxy.round_trips
                    if n == 0:
                        example = proxy.trace_since(mark)
                    mark = len(proxy.trace)
                    await runner.drain_background()
                    if n == 0:
                        example_background = proxy.trace_since(mark)
                    rt2, st2, lab2 = proxy.snapshot()
                    handler_trips += rt1 - rt0
                    background_trips += rt2 - rt1
                    statements += st2 - st0
                    orm += sqlalchemy.executions - orm0
                    labels.update(lab2 - lab0)
                if sum(runner.pipe.errors.values()) != errors_before:
                    raise RuntimeError(f"{path}: updates failed: {dict(runner.pipe.errors)}")
                n = args.updates
                by_column: Counter[str] = Counter()
                for label, count in labels.items():
                    by_column[_column(label)] += count
                results[path] = {
                    "updates": n,
                    "round_trips_per_update": handler_trips / n,
                    "background_round_trips_per_update": background_trips / n,
                    "statements_per_update": statements / n,
                    "sqlalchemy_executions_per_update": orm / n,
                    "by_kind_per_update": {c: by_column[c] / n for c in COLUMNS},
                    "by_label_per_update": {k: v / n for k, v in sorted(labels.items())},
                    "example_trace": example,
                    "example_background_trace": example_background,
                }
                clock.say(f"{path}: {handler_trips / n:.1f} round trips per update")
        finally:
            await runner.stop()
            await proxy.stop()
    return results


def _report(results: dict[str, Any]) -> None:
    headers = ["path", "round trips", "+ background", "statements", *COLUMNS, "target ≤2", "met"]
    rows = []
    for path, r in results.items():
        kinds = r["by_kind_per_update"]
        is_view = path in ("/event", "/event (series)", "/start <link>")
        rows.append(
            [
                path,
                r["round_trips_per_update"],
                r["background_round_trips_per_update"],
                r["statements_per_update"],
                *(kinds[c] for c in COLUMNS),
                "yes" if is_view else "-",
                (r["round_trips_per_update"] <= TARGET_VIEW_ROUND_TRIPS) if is_view else "-",
            ]
        )
    common.print_table(
        "Database round trips per update (wire turns; background = the card refresh an RSVP starts; "
        "columns after 'statements' break the round trips down)",
        headers,
        rows,
    )
    print("\nWhat one update does, turn by turn:")
    for path, r in results.items():
        print(f"  {path}: " + " → ".join(r["example_trace"]))
        if r["example_background_trace"]:
            print("    then in the background: " + " → ".join(r["example_background_trace"]))


def main(argv: Sequence[str] | None = None) -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--updates", type=int, default=50, help="updates counted per path (default 50)")
    p.add_argument("--warmup", type=int, default=10, help="updates per path before counting (default 10)")
    p.add_argument("--paths", nargs="+", default=list(PATHS), choices=list(PATHS), help="paths to run")
    p.add_argument(
        "--events",
        type=common.parse_size,
        default=common.parse_size(EVENTS),
        help="events loaded (default 10k)",
    )
    args = p.parse_args(argv)
    common.configure_logging(args.log_level, BOT_TOKEN)
    results = asyncio.run(_measure(args))
    _report(results)
    payload = {
        "bot": "as shipped",
        "events": args.events,
        "target_view_round_trips": TARGET_VIEW_ROUND_TRIPS,
        "paths": results,
        "met": {
            path: results[path]["round_trips_per_update"] <= TARGET_VIEW_ROUND_TRIPS
            for path in ("/event", "/event (series)", "/start <link>", "vote")
            if path in results
        },
    }
    common.write_json(args.json, "roundtrips", argv, payload)


if __name__ == "__main__":
    main()
