"""Cards kept current by two webhook processes on one PostgreSQL, through an outage, SIGTERM, SIGKILL
and a burst, within Telegram's per-group flood limit; and who may manage an event, across processes.

Each test starts its own processes (``webhook_bots``) so it can break them; the fake Bot API counts
every send and edit per chat, and answers 429 past Telegram's limits when a test turns them on.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from bot.webhook import SECRET_HEADER, WEBHOOK_PATH
from tests.e2e.conftest import WebhookBots, stop
from tests.e2e.tcp_proxy import TcpProxy
from tests.e2e.world import CODE_RE, WEBHOOK_SECRET, WebhookBot, WebhookWorld, button, link_of

pytestmark = pytest.mark.e2e

WHEN = "2031-12-05 19:30"


def newevent(title: str) -> str:
    return f"/newevent {WHEN} | {title}"


async def the_card(world: WebhookWorld, card: dict) -> dict:
    [current] = [c for c in await world.cards(card["chat"]) if c["message_id"] == card["message_id"]]
    return current


async def shows(world: WebhookWorld, card: dict, text: str) -> bool:
    return text in (await the_card(world, card))["text"]


def no_traceback(*bots: WebhookBot) -> None:
    for running in bots:
        assert "Traceback" not in running.log(), running.log()


@pytest.fixture
def db_proxy(postgres_url: str) -> Iterator[TcpProxy]:
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()


async def test_an_edit_due_when_the_database_went_away_happens_once_it_is_back(
    webhook_world: WebhookWorld, webhook_bots: WebhookBots, db_proxy: TcpProxy, postgres_url: str
):
    world = webhook_world
    through = (
        make_url(postgres_url).set(host="127.0.0.1", port=db_proxy.port).render_as_string(hide_password=False)
    )
    first = world.watch(webhook_bots.start("cut-a", DATABASE_URL=through))
    second = world.watch(webhook_bots.start("cut-b", DATABASE_URL=through))
    alice = await world.user("Alice", opened_the_bot=True)
    group = await world.group("Friends", alice)
    card = await world.says(alice, group, newevent("Pizza night"), expect="Pizza night", to=first)
    link = link_of(card)
    # The edit fails at Telegram, so it is due again in a moment; by then the database is gone. Twice:
    # its retries come 2 s then 4 s later, so a slow machine still cuts the database before one lands.
    await world.tg.fail_next("editMessageText", 502, chat=group, count=2)
    await world.send(alice, group, f"/editevent {link} title Pasta night", to=second)
    db_proxy.cut()
    await asyncio.sleep(3)
    assert not await shows(world, card, "Pasta night")
    db_proxy.restore()
    await world.eventually(lambda: shows(world, card, "Pasta night"), "the edit after the outage", timeout=15)
    for running in (first, second):
        assert await asyncio.to_thread(stop, running.process) == 0, running.log()
        log = running.log()
        assert len(re.findall(r"card sync paused", log)) <= 1, log
    no_traceback(first, second)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
async def test_cards_a_stopped_process_was_editing_are_brought_up_to_date_by_the_other(
    webhook_world: WebhookWorld, webhook_bots: WebhookBots, how: signal.Signals
):
    world = webhook_world
    leaving = world.watch(webhook_bots.start("leaving"))
    staying = world.watch(webhook_bots.start("staying"))
    alice = await world.user("Alice", opened_the_bot=True)
    groups = [await world.group(f"Group {n}", alice) for n in range(3)]
    cards = [
        await world.says(alice, g, newevent(f"Party {n}"), expect=f"Party {n}", to=leaving)
        for n, g in enumerate(groups)
    ]
    link = link_of(cards[0])
    for group in groups[1:]:
        await world.says(alice, group, f"/event {link}", expect="Party 0", to=leaving)
    copies = [c for g in groups for c in await world.cards(g) if link_of(c) == link]
    assert len(copies) == 3
    # Telegram is slow: the process that took the change is still editing when it is stopped.
    await world.tg.delay_next("editMessageText", 6.0, count=1)
    await world.send(alice, groups[0], f"/editevent {link} title Renamed party", to=leaving)
    await asyncio.sleep(0.5)
    leaving.process.send_signal(how)
    code = await asyncio.to_thread(leaving.process.wait, 15)
    assert code == (0 if how == signal.SIGTERM else -signal.SIGKILL), leaving.log()
    for copy in copies:
        await world.eventually(
            lambda copy=copy: shows(world, copy, "Renamed party"), "every copy to follow", timeout=20
        )
    assert staying.alive()
    no_traceback(leaving, staying)


async def test_two_processes_together_keep_to_one_groups_flood_limit(
    webhook_world: WebhookWorld, webhook_bots: WebhookBots
):
    world = webhook_world
    first = world.watch(webhook_bots.start("burst-a"))
    second = world.watch(webhook_bots.start("burst-b"))
    host = await world.user("Host", opened_the_bot=True)
    group = await world.group("Busy group", host)
    cards = [
        await world.says(host, group, newevent(f"Table {n}"), expect=f"Table {n}", to=first) for n in range(2)
    ]
    guests = [await world.tg.add_user(f"Guest{n}") for n in range(34)]
    for guest in guests:
        await world.tg.set_member(group, guest)
    # Telegram's limits: 20 a minute into a group, about one a second into any chat (3 in 3 s).
    await world.tg.rate_limits(True)
    await asyncio.sleep(3)  # the creations above are out of the per-chat window
    before = len(await world.tg.calls())
    # 40 changes, each process taking every other one: 34 answers (card edits, folded together) and
    # 6 views of the event in the group (a message each). Two processes each spending a budget of their
    # own would send 6 at once; Telegram (the fake) would answer 429.
    waiting_guests = iter(guests)
    going = [0, 0]
    for n in range(40):
        card = cards[n % 2]
        if n % 6 != 5:
            await world.tg.user_taps(next(waiting_guests), card, button(card, "Going")["callback_data"])
            going[n % 2] += 1
        else:
            await world.tg.user_sends(host, group, f"/event {link_of(card)}")
    updates = await world.tg.take_updates()
    assert len(updates) == 40
    # A reply waits for its group's budget before the POST is answered: here up to half a minute.
    await asyncio.gather(
        *(
            world.http.post(
                f"{(first, second)[n % 2].url}{WEBHOOK_PATH}",
                json=update,
                headers={SECRET_HEADER: WEBHOOK_SECRET},
                timeout=120,
            )
            for n, update in enumerate(updates)
        )
    )

    async def both_count_everyone() -> bool:
        return all(
            [await shows(world, card, f"✅ Going ({n})") for card, n in zip(cards, going, strict=True)]
        )

    await world.eventually(both_count_everyone, "both cards to count their guests", timeout=90)
    into_group = [
        c
        for c in (await world.tg.calls())[before:]
        if c["method"] in ("sendMessage", "editMessageText") and c["params"].get("chat_id") == group["id"]
    ]
    assert [c for c in into_group if c["status"] == 429] == []
    sent_at = sorted(
        c["response"]["result"].get("edit_date") or c["response"]["result"]["date"]
        for c in into_group
        if c["status"] == 200
    )
    assert len(sent_at) >= 8  # 6 views and at least one edit of each card
    for i, moment in enumerate(sent_at):
        assert len([t for t in sent_at[i:] if t < moment + 60]) <= 20
        assert len([t for t in sent_at[i:] if t < moment + 3]) <= 3
    await world.tg.rate_limits(False)
    no_traceback(first, second)


async def test_an_unlock_made_on_one_process_ends_with_a_new_code_made_on_the_other(
    webhook_world: WebhookWorld,
):
    world = webhook_world
    one, other = world.bots
    alice = await world.user("Alice", opened_the_bot=True)
    bob = await world.user("Bob", opened_the_bot=True)
    group = await world.group("Friends", alice, bob)
    card = await world.says(alice, group, newevent("Pizza night"), expect="Pizza night", to=one)
    link = link_of(card)
    dm = next(text for text in await world.texts(alice) if "Secret code" in text)
    leaked = CODE_RE.search(dm).group(0)
    await world.says(bob, bob, f"/editevent {link} {leaked} title Bob's party", expect="Updated", to=one)
    await world.says(alice, alice, f"/newcode {link}", expect="New secret code", to=other)
    await world.says(bob, bob, f"/editevent {link} title Bob again", expect="send me its secret code", to=one)
    await world.eventually(lambda: shows(world, card, "Bob's party"), "the card to show Bob's edit only")
    assert not await shows(world, card, "Bob again")


async def test_forged_buttons_and_posts_as_a_channel_change_nothing_on_either_process(
    webhook_world: WebhookWorld,
):
    world = webhook_world
    one, other = world.bots
    alice = await world.user("Alice", opened_the_bot=True)
    mallory = await world.user("Mallory")
    group = await world.group("Friends", alice, mallory)
    card = await world.says(alice, group, newevent("Pizza night"), expect="Pizza night", to=one)
    link = link_of(card)
    await world.tg.user_taps(mallory, card, f"dn:{link}", forged=True)
    await world.deliver(to=other)
    assert (await the_card(world, card))["text"] == card["text"]
    channel = await world.tg.add_channel("Mallory's channel")
    await world.tg.member_sends_as_channel(channel, group, f"/editevent {link} title Taken")
    await world.deliver(to=one)
    await world.tg.member_sends_as_channel(channel, group, newevent("Channel party"))
    await world.deliver(to=other)
    assert "posting as a channel" in (await world.texts(group))[-1]
    assert (await the_card(world, card))["text"] == card["text"]


async def test_a_card_in_a_group_that_became_a_supergroup_keeps_following(webhook_world: WebhookWorld):
    world = webhook_world
    one, other = world.bots
    alice = await world.user("Alice", opened_the_bot=True)
    basic = await world.tg.add_group("Old group", supergroup=False)
    await world.tg.set_member(basic, alice)
    card = await world.says(alice, basic, newevent("Pizza night"), expect="Pizza night", to=one)
    link = link_of(card)
    supergroup = await world.tg.upgrade_to_supergroup(basic)
    await world.says(alice, alice, f"/editevent {link} title Pasta night", expect="Updated", to=other)
    moved = {**card, "chat": supergroup}
    await world.eventually(lambda: shows(world, moved, "Pasta night"), "the card in the supergroup to follow")
