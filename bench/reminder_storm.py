"""Benchmark 6: a storm of 5,000 reminders due at once, against Telegram's documented flood limits.

    .venv/bin/python -m bench.reminder_storm --json          # ~2.7 min
    .venv/bin/python -m bench.reminder_storm --full --json   # to the end, ~3.3 min

5,000 events start in 90 minutes; each has one card, in a group of its own, and one reminder due a
second ago. The bot as deployed (``build_application`` with its rate limiter) is started, and its
job queue runs the reminder loop a second later, against the test suite's fake Bot API
(tests/support, through bench/seams.py) with flood control on: 30 messages a second overall, 20 a
minute per group, answered with 429 and ``retry_after`` past that, on the real clock (the bot's
limiter uses real time too).

Sending 5,000 messages at 30 a second takes 167 seconds at the very least, which with set-up does
not fit in 3 minutes. So by default the storm runs for ``--budget`` seconds (150); then the benchmark
withdraws the reminders nobody has claimed yet (their due time moves a century ahead), lets the
batch in hand finish, and counts. Every reminder the bot claimed is accounted for: delivered once,
or lost. ``--full`` sends all 5,000 instead. The storm is over when no reminder is due and none is
being sent, as the ``reminders`` table says.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import asyncpg
from telegram.request import RequestData

from bench import common, db, seams
from bench.apps import bot_settings
from bench.telegram_stub import BOT_TOKEN

STORM_GROUP_BASE = 2_000_000_000_000
TARGET_RATE_FRACTION = 0.9
# The loop runs once, a second after start; the next poll would come after the storm.
REMINDER_POLL_SECONDS = 3600
POLL_STATE_SECONDS = 0.2
FIRST_MESSAGE_WITHIN = 30


def describe_limiter(application: Any) -> str:
    """The limiter the bot was built with, read from the object itself."""
    limiter = application.bot.rate_limiter
    if limiter is None:
        return "none"
    overall = getattr(limiter, "_base_limiter", None)
    parts = [type(limiter).__name__]
    if overall is not None:
        parts.append(f"overall bucket {overall.max_rate:g} per {overall.time_period:.4g} s")
    if hasattr(limiter, "_group_max_rate"):
        parts.append(f"per group bucket {limiter._group_max_rate:g} per {limiter._group_time_period:g} s")
    parts.append(f"max_retries {getattr(limiter, '_max_retries', '?')}")
    return ", ".join(parts)


def storm_chat(i: int) -> int:
    return -(STORM_GROUP_BASE + i)


class TimedFakeRequest(seams.FakeRequest):
    """FakeRequest that also notes when each Bot API call was answered, and how."""

    def __init__(self, fake: seams.FakeTelegram) -> None:
        super().__init__(fake)
        self.log: list[tuple[float, str, int, Any]] = []

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        status, body = await super().do_request(url, method, request_data, *args, **kwargs)
        api_method = url.rsplit("/", 1)[1]
        chat = request_data.parameters.get("chat_id") if request_data is not None else None
        self.log.append((time.perf_counter(), api_method, status, chat))
        return status, body


async def _prepare(url: str, reminders: int) -> None:
    """Events with one card each in a group of their own, no RSVPs, one reminder due now."""
    await db.load_events(url, 1, reminders, starts_in_minutes=90)
    conn = await asyncpg.connect(db.asyncpg_dsn(url))
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM rsvps")
            await conn.execute("DELETE FROM posted_cards")
            await conn.execute(
                f"""
                INSERT INTO posted_cards (event_id, chat_id, message_id, created_at)
                SELECT i, -({STORM_GROUP_BASE} + i), 1, now() FROM generate_series(1, $1::int) AS i
                """,
                reminders,
            )
            await conn.execute(
                """
                INSERT INTO reminders (event_id, minutes_before, due_at, state)
                SELECT i, 90, now() - interval '1 second', 'pending' FROM generate_series(1, $1::int) AS i
                """,
                reminders,
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _withdraw(url: str) -> int:
    """Move every reminder nobody has claimed a century ahead: the loop ends after its current batch."""
    conn = await asyncpg.connect(db.asyncpg_dsn(url))
    try:
        status = await conn.execute(
            "UPDATE reminders SET due_at = due_at + interval '100 years' WHERE state = 'pending'"
        )
        return int(status.split()[-1])
    finally:
        await conn.close()


async def _claimed(url: str) -> tuple[list[int], Counter[str]]:
    conn = await asyncpg.connect(db.asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT event_id, state FROM reminders")
    finally:
        await conn.close()
    states = Counter(r["state"] for r in rows)
    return [r["event_id"] for r in rows if r["state"] in ("sent", "dropped", "sending")], states


async def _storm_over(conn: asyncpg.Connection) -> bool:
    """No reminder due and unclaimed, none claimed and not yet finished."""
    outstanding = await conn.fetchval(
        "SELECT count(*) FROM reminders WHERE state = 'sending' OR (state = 'pending' AND due_at <= now())"
    )
    return int(outstanding) == 0


async def _measure(args: Any) -> dict[str, Any]:
    clock = common.Stopwatch()
    async with db.bench_database("storm") as url:
        await _prepare(url, args.reminders)
        fake = seams.FakeTelegram(token=BOT_TOKEN)
        for i in range(1, args.reminders + 1):
            fake.add_group(f"Storm group {i}", chat_id=storm_chat(i))
        limits = seams.RateLimits()
        fake.rate_limits(not args.unlimited, limits)
        request = TimedFakeRequest(fake)
        app = seams.build_application(
            bot_settings(url, reminder_poll_seconds=REMINDER_POLL_SECONDS),
            request=request,
            get_updates_request=seams.FakeRequest(fake),
            rate_limit=not args.unlimited,
        )
        if app.job_queue is None:
            raise RuntimeError("the bot has no job queue: python-telegram-bot[job-queue] is not installed")
        limiter = describe_limiter(app)
        clock.say(f"{args.reminders:,} reminders due in {args.reminders:,} groups; flood control {limits}")
        clock.say(f"the bot's limiter: {limiter}")
        conn = await asyncpg.connect(db.asyncpg_dsn(url))
        try:
            async with app:
                await app.post_init(app)  # type: ignore[misc]
                request.log.clear()
                await app.start()
                try:
                    ended, withdrawn = await _watch(args, url, conn, request, clock)
                finally:
                    await app.stop()
                    await app.post_shutdown(app)  # type: ignore[misc]
        finally:
            await conn.close()
        claimed, states = await _claimed(url)
    if not claimed:
        raise RuntimeError("the bot claimed no reminder: its reminder loop did not run")
    return {
        "log": request.log,
        "ended": ended,
        "claimed_events": claimed,
        "states": dict(states),
        "withdrawn": withdrawn,
        "limiter": limiter,
        "limits": {"overall": limits.overall, "per_group": limits.per_group, "per_chat": limits.per_chat},
    }


async def _watch(
    args: Any, url: str, conn: asyncpg.Connection, request: TimedFakeRequest, clock: common.Stopwatch
) -> tuple[float, int]:
    """Wait for the storm to end, withdrawing what is unclaimed once the budget is spent.

    Returns when it ended, and how many reminders were withdrawn.
    """
    started = time.perf_counter()
    deadline = None if args.full else started + args.budget
    withdrawn = 0
    said = started
    while not await _storm_over(conn):
        waited = time.perf_counter() - started
        if waited > FIRST_MESSAGE_WITHIN and not request.log:
            raise RuntimeError(
                f"no reminder went out within {FIRST_MESSAGE_WITHIN} s of the bot's start: "
                "it no longer runs its reminder loop soon after starting"
            )
        if waited > args.budget + 600:
            raise RuntimeError("the storm has not ended 10 minutes after its budget")
        await asyncio.sleep(POLL_STATE_SECONDS)
        now = time.perf_counter()
        if now - said >= 10:
            said = now
            clock.say(f"storm: {_delivered(request):,} delivered")
        if deadline is not None and now >= deadline and not withdrawn:
            withdrawn = await _withdraw(url)
            clock.say(
                f"budget spent: withdrew {withdrawn:,} unclaimed reminders, finishing the batch in hand"
            )
    clock.say(f"storm over: {_delivered(request):,} delivered")
    return time.perf_counter(), withdrawn


def _delivered(request: TimedFakeRequest) -> int:
    return sum(1 for _t, m, s, _c in request.log if m == "sendMessage" and s == 200)


def _summarise(raw: dict[str, Any], args: Any) -> dict[str, Any]:
    sends = [(t, s, c) for t, m, s, c in raw["log"] if m == "sendMessage"]
    ok = [(t, c) for t, s, c in sends if s == 200]
    too_many = sum(1 for _t, s, _c in sends if s == 429)
    other_failures = Counter(s for _t, s, _c in sends if s not in (200, 429))
    delivered_chats = Counter(c for _t, c in ok)
    expected = {storm_chat(i) for i in raw["claimed_events"]}
    lost = len(expected - set(delivered_chats))
    duplicates = sum(n - 1 for n in delivered_chats.values() if n > 1)
    allowed = raw["limits"]["overall"][0] / raw["limits"]["overall"][1]
    # The loop starts a second after the bot does; times count from its first message.
    origin = sends[0][0] if sends else raw["ended"]
    first, last = (ok[0][0], ok[-1][0]) if ok else (origin, origin)
    span = max(last - first, 1e-9)
    rate = (len(ok) - 1) / span if len(ok) > 1 else 0.0
    buckets: Counter[int] = Counter(int((t - origin) // 10) for t, _c in ok)
    steady = [buckets[b] / 10 for b in sorted(buckets)[1:-1]]  # whole 10 s windows, not the first or last
    return {
        "reminders_due": args.reminders,
        "claimed": len(raw["claimed_events"]),
        "withdrawn_unclaimed": raw["withdrawn"],
        "delivered": len(ok),
        "delivered_distinct": len(delivered_chats),
        "duplicates": duplicates,
        "lost": lost,
        "responses_429": too_many,
        "other_failures": dict(other_failures),
        "seconds": raw["ended"] - origin,
        "sends_per_s": rate,
        "sends_per_s_by_10s_window": [buckets[b] / 10 for b in sorted(buckets)],
        "steady_sends_per_s_median": common.median(steady) if steady else rate,
        "allowed_per_s": allowed,
        "fraction_of_allowed": rate / allowed,
        "reminder_states": raw["states"],
        "met": {
            "rate": rate / allowed >= TARGET_RATE_FRACTION,
            "no_429": too_many == 0,
            "none_lost": lost == 0 and duplicates == 0,
        },
    }


def _report(s: dict[str, Any]) -> None:
    rows = [
        ["reminders due", s["reminders_due"], ""],
        ["claimed by the bot (then sent or lost)", s["claimed"], ""],
        ["withdrawn unclaimed at the budget's end", s["withdrawn_unclaimed"], ""],
        ["delivered (sendMessage 200)", s["delivered"], ""],
        [
            "lost (claimed, never delivered)",
            s["lost"],
            "target 0: " + ("met" if s["met"]["none_lost"] else "MISSED"),
        ],
        ["delivered twice", s["duplicates"], ""],
        ["429 answers", s["responses_429"], "target 0: " + ("met" if s["met"]["no_429"] else "MISSED")],
        ["other failed sends", sum(s["other_failures"].values()), ""],
        ["seconds, first message to last batch done", s["seconds"], ""],
        [
            "messages/s (first to last delivery)",
            s["sends_per_s"],
            f"{s['fraction_of_allowed']:.0%} of {s['allowed_per_s']:g}/s allowed; target ≥ 90%: "
            + ("met" if s["met"]["rate"] else "MISSED"),
        ],
        ["messages/s, median of whole 10 s windows", s["steady_sends_per_s_median"], ""],
    ]
    common.print_table(
        "Reminder storm through AIORateLimiter against flood control", ["", "value", "target"], rows
    )
    print("messages/s by 10 s window: " + ", ".join(f"{r:g}" for r in s["sends_per_s_by_10s_window"]))


def main(argv: Sequence[str] | None = None) -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--reminders", type=int, default=5_000, help="reminders due at once (default 5,000)")
    p.add_argument(
        "--budget", type=float, default=150.0, help="seconds of storm before withdrawing (default 150)"
    )
    p.add_argument("--full", action="store_true", help="send every reminder, however long it takes")
    p.add_argument(
        "--unlimited",
        action="store_true",
        help="DIAGNOSIS: no flood control and no limiter, to see how fast the reminder loop itself goes",
    )
    args = p.parse_args(argv)
    common.configure_logging(args.log_level, BOT_TOKEN)
    raw = asyncio.run(_measure(args))
    summary = _summarise(raw, args)
    _report(summary)
    common.write_json(
        args.json,
        "reminder_storm",
        argv,
        {
            "limits": raw["limits"],
            "limiter": raw["limiter"],
            "budget_s": None if args.full else args.budget,
            "summary": summary,
        },
        variant="unlimited" if args.unlimited else "",
    )


if __name__ == "__main__":
    main()
