"""Benchmark 7: 10,000 series whose dates all begin in the same minute, against Telegram's flood limits.

    .venv/bin/python -m bench.rollover_storm --json          # ~3 min
    .venv/bin/python -m bench.rollover_storm --full --json   # every card, ~7 min

10,000 daily series, each with one card in a group of its own, all at a date that began a second ago.
The bot as deployed is started; its loop moves every series on to its next date (in the database,
claimed with SKIP LOCKED, exactly once) and its card sync edits every card to the new date, against
the test suite's fake Bot API with flood control on (30 messages a second overall, 20 a minute per
group, 429 past that). The figures: how long the database took to move every series (each exactly one
day ahead), the rate of card edits against the allowed rate, 429s, and cards left stale. By default
the edits run for ``--budget`` seconds (150; 10,000 edits take 357 s at 28 a second), and the cards
edited by then are counted; ``--full`` waits for every one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from bench import common, db, seams
from bench.apps import bot_settings
from bench.reminder_storm import TimedFakeRequest, describe_limiter, storm_chat
from bench.telegram_stub import BOT_TOKEN

TARGET_RATE_FRACTION = 0.9
POLL_SECONDS = 3600  # the loop runs once, a second after start
WATCH_SECONDS = 0.5


async def _prepare(url: str, count: int) -> None:
    """Daily series at a date that began a second ago, one card each in a group of its own."""
    await db.load_events(url, 1, count, starts_in_minutes=0)
    conn = await asyncpg.connect(db.asyncpg_dsn(url))
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM rsvps")
            await conn.execute("DELETE FROM posted_cards")
            await conn.execute("DELETE FROM reminders")
            await conn.execute(
                """
                UPDATE events SET recurrence = 'FREQ=DAILY', starts_at = date_trunc('second', now()) - interval '1 second',
                       series_start = date_trunc('second', now()) - interval '1 second',
                       occurrence_start = date_trunc('second', now()) - interval '1 second',
                       reminder_minutes = ''
                """
            )
            await conn.execute(
                f"""
                INSERT INTO posted_cards (event_id, chat_id, message_id, created_at, shown_version)
                SELECT i, {storm_chat(0)} - i, 1, now(), 0 FROM generate_series(1, $1::int) AS i
                """,
                count,
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _state(conn: asyncpg.Connection) -> tuple[int, int, int]:
    """Series not moved yet, moved by other than one day, and cards still showing an old version."""
    waiting = await conn.fetchval("SELECT count(*) FROM events WHERE starts_at <= now()")
    wrong = await conn.fetchval(
        "SELECT count(*) FROM events WHERE starts_at > now() AND starts_at - series_start <> interval '1 day'"
    )
    stale = await conn.fetchval(
        "SELECT count(*) FROM posted_cards c JOIN events e ON e.id = c.event_id WHERE c.shown_version < e.card_version"
    )
    return int(waiting), int(wrong), int(stale)


async def _measure(args: Any) -> dict[str, Any]:
    clock = common.Stopwatch()
    async with db.bench_database("rollover") as url:
        await _prepare(url, args.series)
        fake = seams.FakeTelegram(token=BOT_TOKEN)
        for i in range(1, args.series + 1):
            group = fake.add_group(f"Series group {i}", chat_id=storm_chat(0) - i)
            fake.bot_posted(group, "📅 Bench event")  # the card, message 1 in its group
        limits = seams.RateLimits()
        fake.rate_limits(True, limits)
        request = TimedFakeRequest(fake)
        app = seams.build_application(
            bot_settings(url, reminder_poll_seconds=POLL_SECONDS, card_edit_interval_seconds=0),
            request=request,
            get_updates_request=seams.FakeRequest(fake),
        )
        limiter = describe_limiter(app)
        clock.say(
            f"{args.series:,} series whose date began a second ago, one card each; flood control {limits}"
        )
        conn = await asyncpg.connect(db.asyncpg_dsn(url))
        moved_at = None
        try:
            async with app:
                await app.post_init(app)  # type: ignore[misc]
                await app.start()
                started = time.perf_counter()
                try:
                    while True:
                        await asyncio.sleep(WATCH_SECONDS)
                        waiting, _wrong, stale = await _state(conn)
                        now = time.perf_counter()
                        if waiting == 0 and moved_at is None:
                            moved_at = now - started
                            clock.say(f"every series moved on in the database after {moved_at:.1f} s")
                        done = waiting == 0 and stale == 0
                        if done or (not args.full and now - started >= args.budget):
                            break
                        if now - started > args.budget + 900:
                            raise RuntimeError("the cards have not caught up 15 minutes after the budget")
                    ended = time.perf_counter()
                    waiting, wrong, stale = await _state(conn)
                finally:
                    await app.stop()
                    await app.post_shutdown(app)  # type: ignore[misc]
        finally:
            await conn.close()
    edits = [(t, s) for t, m, s, _c in request.log if m == "editMessageText"]
    ok = [t for t, s in edits if s == 200]
    too_many = sum(1 for _t, s in edits if s == 429)
    allowed = limits.overall[0] / limits.overall[1]
    span = (ok[-1] - ok[0]) if len(ok) > 1 else 1e-9
    rate = (len(ok) - 1) / span if len(ok) > 1 else 0.0
    return {
        "series": args.series,
        "moved_in_database_s": moved_at,
        "moved_wrongly": wrong,
        "not_moved": waiting,
        "cards_edited": len(ok),
        "cards_stale_at_end": stale,
        "responses_429": too_many,
        "seconds": ended - started,
        "edits_per_s": rate,
        "allowed_per_s": allowed,
        "fraction_of_allowed": rate / allowed,
        "limiter": limiter,
        "met": {
            "exactly_once": waiting == 0 and wrong == 0,
            "no_429": too_many == 0,
            "rate": rate / allowed >= TARGET_RATE_FRACTION,
        },
    }


def _report(s: dict[str, Any]) -> None:
    rows = [
        ["series due at once", s["series"], ""],
        ["seconds until every series moved on (database)", s["moved_in_database_s"], ""],
        [
            "series not moved, or moved other than one date",
            s["not_moved"] + s["moved_wrongly"],
            "target 0: " + ("met" if s["met"]["exactly_once"] else "MISSED"),
        ],
        ["cards edited to the new date", s["cards_edited"], ""],
        ["cards still stale when measuring stopped", s["cards_stale_at_end"], ""],
        ["429 answers", s["responses_429"], "target 0: " + ("met" if s["met"]["no_429"] else "MISSED")],
        [
            "card edits/s",
            s["edits_per_s"],
            f"{s['fraction_of_allowed']:.0%} of {s['allowed_per_s']:g}/s allowed; target ≥ 90%: "
            + ("met" if s["met"]["rate"] else "MISSED"),
        ],
    ]
    common.print_table("Series rollover storm against flood control", ["", "value", "target"], rows)


def main(argv: Sequence[str] | None = None) -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--series", type=int, default=10_000, help="series due at once (default 10,000)")
    p.add_argument("--budget", type=float, default=150.0, help="seconds of card edits measured (default 150)")
    p.add_argument("--full", action="store_true", help="wait for every card, however long it takes")
    args = p.parse_args(argv)
    common.configure_logging(args.log_level, BOT_TOKEN)
    summary = asyncio.run(_measure(args))
    _report(summary)
    common.write_json(args.json, "rollover_storm", argv, {"summary": summary})


if __name__ == "__main__":
    main()
