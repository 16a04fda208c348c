"""The organizer's controls through the bot as a real process on PostgreSQL: an end and a deadline,
guests against a capacity, a hidden list, a group where only admins create, and an export."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.world import World, button, link_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bot_settings() -> dict[str, str]:
    return {"CARD_EDIT_INTERVAL_SECONDS": "0.2"}


async def card_now(world: World, card: dict) -> dict:
    [current] = [c for c in await world.cards(card["chat"]) if c["message_id"] == card["message_id"]]
    return current


async def card_reads(world: World, card: dict, *lines: str, absent: tuple[str, ...] = ()) -> dict:
    async def matching() -> dict | None:
        current = await card_now(world, card)
        ok = all(line in current["text"] for line in lines) and not any(a in current["text"] for a in absent)
        return current if ok else None

    return await world.eventually(matching, f"the card to read {lines} without {absent}")


async def test_an_organizer_runs_a_dinner_with_an_end_a_deadline_guests_a_hidden_list_and_an_export(
    world: World,
):
    host = await world.user("Hana", opened_the_bot=True)
    ann = await world.user("Ann")
    ben = await world.user("Ben")
    group = await world.group("Supper club", host, ann, ben)
    card = await world.says(
        host, group, "/newevent 2031-12-05 19:30-22:30 | Supper | Chez Nous", expect="Supper"
    )
    link = link_of(card)
    assert "19:30 CET (Europe/Paris) –22:30" in card["text"]
    for change, shown in (
        ("closes 2031-12-04 18:00", "Answers close Thu 4 Dec, 18:00"),
        ("seats 3", "Going (0/3)"),
        ("guests 1", "up to 1 guest"),
    ):
        await world.says(host, group, f"/editevent {link} {change}", expect="Updated")
        card = await card_reads(world, card, shown)
    await world.tap(ann, card, "Going")
    await world.tap(ann, card, "Guest")
    card = await card_reads(world, card, "Going (2/3): Ann +1")
    await world.tap(ben, card, "Going")
    await world.tap(host, card, "Going")
    card = await card_reads(world, card, "Going (3/3): Ann +1, Ben", "Waitlist (1): Hana")

    await world.says(host, group, f"/editevent {link} list hidden", expect="Updated")
    await card_reads(world, card, "Going (3/3)", absent=("Ann", "Ben"))

    await world.says(host, group, f"/export {link}", expect="sent you the list privately")

    async def exported() -> list[dict] | None:
        return await world.tg.documents_in(host) or None

    [document] = await world.eventually(exported, "the export in Hana's private chat")
    rows = list(csv.DictReader(io.StringIO(document["content"].decode("utf-8-sig"))))
    assert [(r["Name"], r["Answer"], r["Guests"], r["Place on the waitlist"]) for r in rows] == [
        ("Ann", "Going", "1", ""),
        ("Ben", "Going", "0", ""),
        ("Hana", "Waitlist", "0", "1"),
    ]


async def test_a_group_where_only_admins_create_refuses_a_members_event(world: World):
    admin = await world.user("Ada", opened_the_bot=True)
    member = await world.user("Max")
    group = await world.group("Book club", admin, member)
    await world.tg.set_member(group, admin, "administrator")
    menu = await world.says(admin, group, "/settings", expect="Who may create")
    await world.tg.user_taps(admin, menu, button(menu, "Admins only")["callback_data"])
    await world.reply_in(group, "Only this group's admins may create events")
    refused = await world.send(member, group, "/newevent 2031-12-05 19:30 | Max's pick")
    await world.reply_in(group, "only admins create events", after=refused)
    assert not [c for c in await world.cards(group) if "Max's pick" in c["text"]]
    await world.says(admin, group, "/newevent 2031-12-05 19:30 | Ada's pick", expect="Ada's pick")
