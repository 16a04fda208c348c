"""Skedjit as deployed: several webhook processes, one PostgreSQL, and a Telegram that retries and throttles.

The test plays Telegram. A user's action queues an update in the fake Bot API; the test takes it
(POST /_test/take_updates) and POSTs it, with the secret header, to one of the ``python -m bot --webhook``
processes, in turn unless it names one. A webhook POST returns once the update has been handled, so
a test knows when to look. Processes a test breaks on purpose (database cut off, SIGKILL, SIGTERM) are
its own; the two shared ones stay healthy for the module.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import string
import time
from collections.abc import Iterable, Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.conftest import WebhookBots, stop
from tests.e2e.tcp_proxy import TcpProxy
from tests.e2e.world import (
    CARD_MARK,
    CODE_RE,
    Database,
    WebhookBot,
    WebhookWorld,
    button,
    handled_in_log,
    link_of,
)

pytestmark = pytest.mark.e2e

WHEN = "2031-12-05 19:30"
WHEN_SHOWN = "Fri 5 Dec 2031, 19:30 CET (Europe/Paris)"
REMINDER_MARK = "⏰ Reminder:"
CODE_MARK = "Secret code for"
DB_DOWN = "can't reach my database"
REMINDER_STORM = 100
BURST_GROUPS = 30
BURST_TAPPERS = 30


def newevent(title: str) -> str:
    return f"/newevent {WHEN} | {title}"


def origin_of(message: dict) -> str:
    """How the bot names the request that created an event (events.origin)."""
    return f"{message['chat']['id']}:{message['message_id']}"


async def count_in(world: WebhookWorld, chat: dict, mark: str) -> int:
    return sum(mark in text for text in await world.texts(chat))


async def events_from(db: Database, message: dict) -> int:
    return int(await db.value("SELECT count(*) FROM events WHERE origin = :o", o=origin_of(message)))


async def post_all(
    world: WebhookWorld, target: WebhookBot, updates: Iterable[dict], *, at_once: int = 6
) -> dict[int, int]:
    """POST ``updates`` concurrently (``at_once`` in flight); returns update_id -> HTTP status (0: no answer)."""
    gate = asyncio.Semaphore(at_once)
    statuses: dict[int, int] = {}

    async def one(update: dict) -> None:
        async with gate:
            try:
                statuses[update["update_id"]] = (await world.post(target, update)).status_code
            except httpx.TransportError:
                statuses[update["update_id"]] = 0

    await asyncio.gather(*(one(update) for update in updates))
    return statuses


# -- two processes behind one webhook ------------------------------------------------------------


async def test_a_guided_flow_started_on_one_process_finishes_on_the_other(
    webhook_world: WebhookWorld, db: Database
):
    world = webhook_world
    first, second = world.bots
    alice = await world.user("Alice")

    steps = [("/newevent", "What's it called?"), ("Board games", "When is Board games?")]
    steps += [(WHEN, "Does Board games repeat?")]
    for number, (text, prompt) in enumerate(steps):
        asked = await world.says(alice, alice, text, expect=prompt, to=(first, second)[number % 2])
    await world.tap(alice, asked, "No", to=second)
    await world.reply_in(alice, "Where, or any details?", after=asked)
    preview = await world.says(alice, alice, "/skip", expect="Here's your event. Create it?", to=first)
    assert WHEN_SHOWN in preview["text"]
    query = await world.tap(alice, preview, "Create", to=first)

    card = await world.reply_in(alice, "📅 Board games", after=preview)
    assert WHEN_SHOWN in card["text"]
    assert await count_in(world, alice, f"{CODE_MARK} Board games") == 1
    assert {"callback_query_id": query["id"], "show_alert": False, "text": "Created"} in (
        await world.tg.callback_answers()
    )
    link = link_of(card)
    assert await db.value("SELECT count(*) FROM events WHERE link_id = :l", l=link) == 1
    # Each step really was handled by the process it was POSTed to, and only there.
    assert set(world.handled_by.values()) == {first.name, second.name}
    for update_id, name in world.handled_by.items():
        for running in world.bots:
            assert handled_in_log(running, update_id) == (running.name == name), (update_id, running.name)
    world.assert_log_keeps_secrets()


async def test_a_webhook_retry_after_the_first_answer_makes_no_second_event_card_or_code(
    webhook_world: WebhookWorld, db: Database
):
    world = webhook_world
    first, second = world.bots
    alice = await world.user("Alice", opened_the_bot=True)
    group = await world.group("Friends", alice)
    message = await world.tg.user_sends(alice, group, newevent("Pizza night"))
    [update] = await world.tg.take_updates()

    assert (await world.post(first, update)).status_code == 200
    # Telegram did not get that answer (a network blip), so it delivers the update again: to the other process.
    assert (await world.post(second, update)).status_code == 200

    assert handled_in_log(first, update["update_id"]) and handled_in_log(second, update["update_id"])
    assert await events_from(db, message) == 1
    await world.settled()
    assert len(await world.cards(group)) == 1
    assert await count_in(world, alice, CODE_MARK) == 1
    assert not any("couldn't message you" in text for text in await world.texts(group))


async def test_a_webhook_retry_while_the_first_delivery_still_runs_makes_one_event_and_one_card(
    webhook_world: WebhookWorld, db: Database
):
    world = webhook_world
    first, second = world.bots
    alice = await world.user("Alice", opened_the_bot=True)
    group = await world.group("Friends", alice)
    message = await world.tg.user_sends(alice, group, newevent("Pizza night"))
    [update] = await world.tg.take_updates()
    # Telegram is slow to take the first process's card, so that delivery is still running when
    # Telegram, tired of waiting for its answer, delivers the update again to the other process.
    await world.tg.delay_next("sendMessage", 1.0, chat=group)
    original = asyncio.create_task(world.post(first, update))
    await world.eventually(lambda: events_from(db, message), "the first delivery to store the event")

    retry = await world.post(second, update)

    assert (retry.status_code, (await original).status_code) == (200, 200)
    assert await events_from(db, message) == 1
    assert await count_in(world, alice, CODE_MARK) == 1
    await world.settled()
    cards = await world.cards(group)
    claim_offers = [text for text in await world.texts(group) if "couldn't message you" in text]
    # A retry that arrives while the first delivery is still posting waits for it (a lease on the
    # event), so the group sees one card and no second offer of the code.
    assert len(cards) == 1 and not claim_offers


def going_line(card: dict) -> str:
    return next((line for line in card["text"].splitlines() if line.startswith("✅ Going")), "")


async def the_card(world: WebhookWorld, card: dict) -> dict:
    """The posted ``card`` as it reads now."""
    [current] = [c for c in await world.cards(card["chat"]) if c["message_id"] == card["message_id"]]
    return current


async def test_rsvp_taps_spread_over_both_processes_are_all_counted(
    webhook_world: WebhookWorld, db: Database
):
    world = webhook_world
    alice = await world.user("Alice", opened_the_bot=True)
    friends = [await world.tg.add_user(f"Friend{n}") for n in range(8)]
    group = await world.group("Hikers", alice, *friends)
    card = await world.says(alice, group, newevent("Hike"), expect="Hike")
    going = button(card, "Going")["callback_data"]
    queries = [await world.tg.user_taps(friend, card, going) for friend in friends]
    updates = await world.tg.take_updates()

    answers = await asyncio.gather(*(world.post(world.next_bot(), update) for update in updates))

    assert [answer.status_code for answer in answers] == [200] * len(friends)

    async def card_counts_everyone() -> bool:
        return going_line(await the_card(world, card)).startswith(f"✅ Going ({len(friends)}): ")

    await world.eventually(card_counts_everyone, f"the card to show {len(friends)} going")
    await asyncio.sleep(0.6)  # both processes' last coalesced edits (every 0.2 s) are done by now
    line = going_line(await the_card(world, card))
    assert sorted(line.split(": ", 1)[1].split(", ")) == sorted(f["first_name"] for f in friends), line
    answered = {a["callback_query_id"]: a.get("text") for a in await world.tg.callback_answers()}
    assert [answered.get(query["id"]) for query in queries] == ["You're going ✅"] * len(friends)
    assert await going_in_db(db, link_of(card)) == len(friends)


async def going_in_db(db: Database, link: str) -> int:
    return int(
        await db.value(
            "SELECT count(*) FROM rsvps WHERE status = 'going' "
            "AND event_id = (SELECT id FROM events WHERE link_id = :l)",
            l=link,
        )
    )


async def test_a_slow_card_edit_from_one_process_does_not_leave_the_card_showing_an_old_count(
    webhook_world: WebhookWorld, db: Database
):
    world = webhook_world
    first, second = world.bots
    alice = await world.user("Alice", opened_the_bot=True)
    anna, ben = await world.tg.add_user("Anna"), await world.tg.add_user("Ben")
    group = await world.group("Runners", alice, anna, ben)
    card = await world.says(alice, group, newevent("Park run"), expect="Park run")
    # Telegram takes a while to apply the first process's next edit of this card.
    await world.tg.delay_next("editMessageText", 1.0, chat=group)

    await world.tap(anna, card, "Going", to=first)
    await asyncio.sleep(0.3)  # the first process has read "Anna going" and is waiting on its edit
    await world.tap(ben, card, "Going", to=second)

    async def shows_both() -> bool:
        return going_line(await the_card(world, card)) == "✅ Going (2): Anna, Ben"

    await world.eventually(shows_both, "the card to show Anna and Ben going")
    assert await going_in_db(db, link_of(card)) == 2
    await asyncio.sleep(1.5)  # the slow edit has landed, and any edit that follows it
    final = going_line(await the_card(world, card))
    # The process whose edit lands last re-reads the event and edits again if it changed meanwhile.
    assert final == "✅ Going (2): Anna, Ben"


async def test_a_webhook_post_without_the_right_secret_is_refused_and_changes_nothing(
    webhook_world: WebhookWorld, db: Database
):
    world = webhook_world
    alice = await world.user("Alice", opened_the_bot=True)
    group = await world.group("Friends", alice)
    message = await world.tg.user_sends(alice, group, newevent("Forged party"))
    [update] = await world.tg.take_updates()

    for running in world.bots:
        assert (await world.post(running, update, secret=None)).status_code == 403
        assert (await world.post(running, update, secret="not-the-secret-0123")).status_code == 403

    await world.settled()
    assert await world.texts(group) == []
    assert await count_in(world, alice, CODE_MARK) == 0
    assert await events_from(db, message) == 0
    # The same update with the secret is fine: it was refused for the header alone.
    assert (await world.post(world.bots[0], update)).status_code == 200
    await world.reply_in(group, "Forged party")
    world.assert_log_keeps_secrets()


async def test_both_processes_report_a_healthy_database(webhook_world: WebhookWorld):
    for running in webhook_world.bots:
        answer = await webhook_world.health(running)
        assert (answer.status_code, answer.json()["database"]) == (200, "ok")


async def test_with_two_processes_polling_each_due_reminder_is_sent_exactly_once(
    webhook_world: WebhookWorld, db: Database
):
    world = webhook_world
    alice = await world.user("Alice", opened_the_bot=True)
    groups = [await world.group(f"Club {n}", alice) for n in range(20)]
    messages = [
        await world.tg.user_sends(alice, group, newevent(f"Meetup {n}")) for n, group in enumerate(groups)
    ]
    statuses = await asyncio.gather(
        *(world.post(world.next_bot(), update) for update in await world.tg.take_updates())
    )
    assert {answer.status_code for answer in statuses} == {200}
    origins = [origin_of(message) for message in messages]

    moved = await db.execute(
        "UPDATE reminders SET due_at = now() - interval '1 second' WHERE minutes_before = 1440 "
        "AND event_id IN (SELECT id FROM events WHERE origin = ANY(CAST(:origins AS text[])))",
        origins=origins,
    )
    assert moved == len(groups)

    async def every_group_reminded() -> bool:
        return all([await count_in(world, group, REMINDER_MARK) >= 1 for group in groups])

    await world.eventually(every_group_reminded, "every group to get its reminder", timeout=15)
    await asyncio.sleep(2.0)
    assert [await count_in(world, group, REMINDER_MARK) for group in groups] == [1] * len(groups)
    states = await db.rows(
        "SELECT state, count(*) FROM reminders WHERE minutes_before = 1440 "
        "AND event_id IN (SELECT id FROM events WHERE origin = ANY(CAST(:origins AS text[]))) GROUP BY state",
        origins=origins,
    )
    assert [tuple(row) for row in states] == [("sent", len(groups))]
    assert all(running.alive() for running in world.bots)


async def test_with_two_processes_each_polls_deadline_decides_it_exactly_once(
    webhook_world: WebhookWorld, db: Database
):
    world = webhook_world
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob", opened_the_bot=True)
    groups = [await world.group(f"Board games {n}", alice, bob) for n in range(8)]
    poll = "/poll Games night | 2031-12-05 19:00 | 2031-12-06 15:00 | closes 2031-12-04 20:00"
    cards = [await world.says(alice, group, poll, expect="Games night") for group in groups]
    for card in cards:
        saturday = next(
            b for row in card["reply_markup"]["inline_keyboard"] for b in row if "Sat" in b["text"]
        )
        await world.tg.user_taps(bob, card, saturday["callback_data"])
    votes = await asyncio.gather(*(world.post(world.next_bot(), u) for u in await world.tg.take_updates()))
    assert {answer.status_code for answer in votes} == {200}
    links = [link_of(card) for card in cards]

    # The deadline passes for all of them at once; both processes' loops look for due polls.
    moved = await db.execute(
        "UPDATE events SET poll_closes_at = now() - interval '1 second' WHERE link_id = ANY(CAST(:l AS text[]))",
        l=links,
    )
    assert moved == len(groups)

    async def every_group_has_its_event() -> bool:
        return all([await count_in(world, group, "✅ Going (1): Bob") >= 1 for group in groups])

    await world.eventually(every_group_has_its_event, "an event card in every group", timeout=20)
    await asyncio.sleep(2.0)  # time enough for a second decision, had there been one
    assert [await count_in(world, group, "✅ Going (1): Bob") for group in groups] == [1] * len(groups)
    decided = await db.rows(
        "SELECT kind, starts_at FROM events WHERE link_id = ANY(CAST(:l AS text[]))", l=links
    )
    assert {(kind, f"{starts_at:%d %H:%M}") for kind, starts_at in decided} == {("event", "06 14:00")}
    told = [text for text in await world.texts(bob) if "Games night is decided" in text]
    assert len(told) == len(groups)
    assert all(running.alive() for running in world.bots)


# -- the database goes away -----------------------------------------------------------------------


@pytest.fixture
def db_proxy(postgres_url: str) -> Iterator[TcpProxy]:
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()


async def test_without_its_database_the_bot_says_so_stays_up_and_recovers_without_a_restart(
    webhook_world: WebhookWorld,
    webhook_bots: WebhookBots,
    db_proxy: TcpProxy,
    postgres_url: str,
    db: Database,
):
    world = webhook_world
    through_proxy = make_url(postgres_url).set(host="127.0.0.1", port=db_proxy.port)
    lonely = world.watch(
        webhook_bots.start("behind-proxy", DATABASE_URL=through_proxy.render_as_string(hide_password=False))
    )
    alice = await world.user("Alice", opened_the_bot=True)
    group = await world.group("Friends", alice)
    await world.says(alice, group, "/timezone", expect="Europe/Paris", to=lonely)
    lunch = await world.send(alice, group, newevent("Lunch"), to=lonely)
    link = link_of(await world.reply_in(group, "📅 Lunch", after=lunch))

    db_proxy.cut()
    sent = await world.send(alice, group, newevent("Dinner"), to=lonely)

    sorry = await world.reply_in(group, DB_DOWN, after=sent)
    assert "try again in a minute" in sorry["text"]
    # A view takes the other way to the database (core/storage/direct.py): it too says so.
    viewed = await world.send(alice, group, f"/event {link}", to=lonely)
    assert "try again in a minute" in (await world.reply_in(group, DB_DOWN, after=viewed))["text"]
    health = await world.health(lonely)
    assert (health.status_code, health.json()["database"]) == (503, "unavailable")
    assert await events_from(db, sent) == 0
    assert [link_of(card) for card in await world.cards(group)] == [link]  # Lunch's alone
    await asyncio.sleep(0.7)  # its reminder loop (every 0.3 s) meets the missing database too
    assert lonely.alive()
    assert (await world.health(lonely)).status_code == 503

    db_proxy.restore()

    async def healthy_again() -> bool:
        return (await world.health(lonely)).status_code == 200

    await world.eventually(healthy_again, "/healthz to say 200 again", timeout=10)
    again = await world.send(alice, group, newevent("Dinner"), to=lonely)
    card = await world.reply_in(group, "📅 Dinner", after=again)
    assert WHEN_SHOWN in card["text"]
    assert await events_from(db, again) == 1 and await events_from(db, sent) == 0
    shown = await world.send(alice, group, f"/event {link}", to=lonely)
    assert link in (await world.reply_in(group, "📅 Lunch", after=shown))["text"]
    assert await asyncio.to_thread(stop, lonely.process) == 0, lonely.log()
    assert "Traceback" not in lonely.log(), lonely.log()


# -- Telegram errors and flood control ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry_after", "count"),
    [pytest.param(502, None, 2, id="two 502s"), pytest.param(429, 1, 1, id="a 429 with retry_after 1")],
)
async def test_the_creator_gets_exactly_one_code_message_when_telegram_fails_the_first_sends(
    webhook_world: WebhookWorld, status: int, retry_after: int | None, count: int
):
    world = webhook_world
    alice = await world.user("Alice", opened_the_bot=True)
    group = await world.group("Friends", alice)
    await world.tg.fail_next("sendMessage", status, retry_after=retry_after, count=count, chat=alice)

    await world.says(alice, group, newevent("Quiz night"), expect="Quiz night")

    code_messages = [text for text in await world.texts(alice) if CODE_MARK in text]
    assert len(code_messages) == 1 and CODE_RE.search(code_messages[0])
    assert not any("couldn't message you" in text for text in await world.texts(group))
    to_alice = [
        c["status"] for c in await world.tg.calls("sendMessage") if c["params"]["chat_id"] == alice["id"]
    ]
    assert to_alice[-count - 1 :] == [status] * count + [200]


async def test_a_storm_of_due_reminders_under_flood_control_arrives_once_each_without_a_single_429(
    webhook_world: WebhookWorld, db: Database
):
    world = webhook_world
    groups = [await world.group(f"Storm {n}") for n in range(REMINDER_STORM)]
    links = ["".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(10)) for _ in groups]
    chat_ids = [group["id"] for group in groups]
    calls_before = len(await world.tg.calls())
    await world.tg.rate_limits(True)
    try:
        # Made directly in the database (creating 100 events through Telegram would take longer than
        # the storm), each with a card in its group and one reminder, all due now.
        await db.execute(
            """
            WITH made AS (
                INSERT INTO events (link_id, title, starts_at, timezone, chat_id, code_hash, sequence,
                                    created_at, updated_at, origin)
                SELECT link, 'Storm party ' || n, now() + interval '2 days', 'Europe/Paris', chat,
                       repeat('x', 60), 0, now(), now(), 'storm:' || chat
                FROM unnest(CAST(:links AS text[]), CAST(:chats AS bigint[])) WITH ORDINALITY AS t(link, chat, n)
                RETURNING id, chat_id
            ), cards AS (
                INSERT INTO posted_cards (event_id, chat_id, message_id, created_at)
                SELECT id, chat_id, 1, now() FROM made
            )
            INSERT INTO reminders (event_id, minutes_before, due_at, state)
            SELECT id, 1440, now() - interval '1 second', 'pending' FROM made
            """,
            links=links,
            chats=chat_ids,
        )

        async def reminded_chats() -> list[int]:
            return [
                call["params"]["chat_id"]
                for call in (await world.tg.calls("sendMessage"))
                if call["status"] == 200 and REMINDER_MARK in call["params"]["text"]
            ]

        async def all_reminded() -> bool:
            return set(chat_ids) <= set(await reminded_chats())

        began = time.monotonic()
        await world.eventually(all_reminded, "all 100 groups to get their reminder", timeout=25)
        took = time.monotonic() - began
        await asyncio.sleep(1.0)
        calls = (await world.tg.calls())[calls_before:]
    finally:
        await world.tg.rate_limits(False)

    per_group = [await count_in(world, group, REMINDER_MARK) for group in groups]
    assert per_group == [1] * REMINDER_STORM
    sent = await db.value(
        "SELECT count(*) FROM reminders r JOIN events e ON e.id = r.event_id "
        "WHERE e.link_id = ANY(CAST(:links AS text[])) AND r.state = 'sent'",
        links=links,
    )
    assert sent == REMINDER_STORM
    throttled = [call for call in calls if call["status"] == 429]
    assert throttled == [], f"{len(throttled)} sends got 429; the storm took {took:.1f}s"


# -- crashes and stops ----------------------------------------------------------------------------


async def test_after_a_sigkill_mid_burst_and_redelivery_nothing_is_lost_or_doubled(
    webhook_world: WebhookWorld, webhook_bots: WebhookBots, db: Database
):
    world = webhook_world
    victim = world.watch(webhook_bots.start("victim"))
    host = await world.user("Host", opened_the_bot=True)
    taps_group = await world.group("Open day", host)
    card = await world.says(host, taps_group, newevent("Open day"), expect="Open day")
    link = link_of(card)
    tappers = [await world.tg.add_user(f"Guest{n}") for n in range(BURST_TAPPERS)]
    creators = [await world.tg.add_user(f"Organiser{n}") for n in range(BURST_GROUPS)]
    groups = [await world.group(f"Burst {n}", creator) for n, creator in enumerate(creators)]
    messages = []
    for n in range(max(BURST_GROUPS, BURST_TAPPERS)):  # interleaved, as a busy bot sees them
        if n < BURST_GROUPS:
            messages.append(await world.tg.user_sends(creators[n], groups[n], newevent(f"Burst party {n}")))
        if n < BURST_TAPPERS:
            await world.tg.user_taps(tappers[n], card, button(card, "Going")["callback_data"])
    burst = await world.tg.take_updates()
    assert len(burst) == BURST_GROUPS + BURST_TAPPERS

    # Deliver the burst; SIGKILL the process once a dozen updates are through, with others in flight.
    gate = asyncio.Semaphore(6)
    answered: dict[int, int] = {}
    in_flight = 0
    others_in_flight_at_kill: list[int] = []

    async def deliver(update: dict) -> None:
        nonlocal in_flight
        async with gate:
            in_flight += 1
            try:
                answered[update["update_id"]] = (await world.post(victim, update)).status_code
            except httpx.TransportError:
                return
            finally:
                in_flight -= 1
            if len(answered) >= 12 and victim.alive():
                others_in_flight_at_kill.append(in_flight)
                victim.process.send_signal(signal.SIGKILL)

    await asyncio.gather(*(deliver(update) for update in burst))
    assert await asyncio.to_thread(victim.process.wait, 10) == -signal.SIGKILL
    delivered = {update_id for update_id, status in answered.items() if status == 200}
    assert 12 <= len(delivered) < len(burst)
    assert others_in_flight_at_kill and others_in_flight_at_kill[0] > 0, "nothing was in flight at the kill"

    revived = world.watch(webhook_bots.restart(victim))
    # Telegram redelivers what got no 200; then, to be harsh, everything once more.
    missed = [update for update in burst if update["update_id"] not in delivered]
    assert set((await post_all(world, revived, missed)).values()) == {200}
    assert set((await post_all(world, revived, burst)).values()) == {200}

    for message in messages:
        assert await events_from(db, message) == 1, origin_of(message)
    pending = await db.rows(
        "SELECT e.origin, count(r.id) FROM events e LEFT JOIN reminders r "
        "ON r.event_id = e.id AND r.state = 'pending' WHERE e.origin = ANY(CAST(:o AS text[])) GROUP BY e.origin",
        o=[origin_of(message) for message in messages],
    )
    assert sorted(count for _, count in pending) == [2] * BURST_GROUPS
    answers = await db.rows(
        "SELECT user_id, count(*), min(status) FROM rsvps "
        "WHERE event_id = (SELECT id FROM events WHERE link_id = :l) GROUP BY user_id",
        l=link,
    )
    assert sorted((user_id, n, status) for user_id, n, status in answers) == sorted(
        (tapper["id"], 1, "going") for tapper in tappers
    )
    for group in groups:
        said = await world.texts(group)
        assert any(CARD_MARK in text for text in said), (group["title"], said)
        assert not any("Sorry" in text for text in said), (group["title"], said)

    async def card_counts_every_guest() -> bool:
        [current] = [c for c in await world.cards(taps_group) if c["message_id"] == card["message_id"]]
        return f"✅ Going ({BURST_TAPPERS})" in current["text"]

    await world.eventually(card_counts_every_guest, f"the card to show {BURST_TAPPERS} going")
    assert revived.alive()
    world.assert_log_keeps_secrets()


async def test_sigterm_lets_the_request_in_flight_finish_and_the_process_exits_cleanly(
    webhook_world: WebhookWorld, webhook_bots: WebhookBots, db: Database
):
    world = webhook_world
    # bcrypt at its deployed cost makes creating an event take a noticeable ~0.3 s.
    slow = world.watch(webhook_bots.start("slow", BCRYPT_ROUNDS="12"))
    alice = await world.user("Alice", opened_the_bot=True)
    group = await world.group("Friends", alice)
    message = await world.tg.user_sends(alice, group, newevent("Last orders"))
    [update] = await world.tg.take_updates()

    delivery = asyncio.create_task(world.post(slow, update))
    await asyncio.sleep(0.1)
    assert not delivery.done(), "the request finished before the stop: nothing was in flight"
    stopped_at = time.monotonic()
    slow.process.send_signal(signal.SIGTERM)

    answer = await delivery
    assert answer.status_code == 200
    exit_code = await asyncio.to_thread(slow.process.wait, 10)
    assert exit_code == 0, slow.log()
    assert time.monotonic() - stopped_at < 10
    assert await events_from(db, message) == 1
    card = await world.reply_in(group, "📅 Last orders")
    assert WHEN_SHOWN in card["text"]
    assert await count_in(world, alice, CODE_MARK) == 1
    log = slow.log()
    assert log.index("stopping: finishing updates in flight") < log.index(f"update={update['update_id']} ")
    assert "Traceback" not in log, log
