"""The core service against real databases: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from core import access, cards, chat_settings, claims, codes, flows, service
from core.access import Requester
from core.errors import (
    ClaimNotFound,
    ClaimNotYours,
    EventCancelled,
    EventNotFound,
    InvalidField,
    NotAllowed,
    TooManyAttempts,
    WrongSecretCode,
)
from core.events import Field
from core.storage.models import Event

ROUNDS = 4
CREATOR = 1001
STRANGER = 2002
BY_CREATOR = Requester(CREATOR)
# A code holder types the code in their private chat with the bot: the only place it works.
BY_HOLDER = Requester(STRANGER, private=True)


def soon(days: int = 3) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


async def create(uow, **overrides):
    fields = {
        "title": "Pizza night",
        "when": soon(),
        "timezone": "Europe/Paris",
        "location": "Mario's",
        "creator_user_id": CREATOR,
        "chat_id": -100123,
        "rounds": ROUNDS,
    }
    fields.update(overrides)
    return await service.create_event(uow, **fields)


async def edit(uow, link, who, field, value, **kwargs):
    return (await service.edit_event(uow, link, who, Field(field), value, **kwargs)).event


async def count_events(uow) -> int:
    async with uow:
        return await uow.session.scalar(select(func.count()).select_from(Event))


async def test_create_returns_the_event_and_a_code_that_is_stored_only_as_a_hash(uow):
    created = await create(uow)
    assert codes.is_link_id(created.event.link_id)
    assert created.event.title == "Pizza night"
    assert created.event.timezone == "Europe/Paris"
    async with uow:
        row = await uow.events.get_by_link(created.event.link_id)
        assert row is not None
        assert row.code_hash.startswith("$2b$04$")
        assert codes.normalise_code(created.secret_code) not in row.code_hash
        assert created.secret_code not in row.code_hash


async def test_created_event_reads_back_with_an_aware_utc_start(uow):
    when = soon()
    created = await create(uow, when=when, description="Bring\nsnacks")
    event = await service.get_event(uow, created.event.link_id)
    assert event.starts_at == when
    assert event.starts_at.tzinfo is not None
    assert event.starts_at.utcoffset() == timedelta(0)
    assert event.description == "Bring\nsnacks"
    assert event.creator_user_id == CREATOR
    assert event.chat_id == -100123
    assert event.created_at <= event.updated_at


async def test_create_parses_what_people_type_in_the_events_timezone(uow):
    now = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)
    created = await create(uow, when="2026-11-05 19:30", timezone="Europe/Paris", now=now)
    # November is winter time in Paris (UTC+1), although the event was created in summer time.
    assert created.event.starts_at == datetime(2026, 11, 5, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("title", {"title": "   "}),
        ("title", {"title": "x" * 201}),
        ("title", {"title": "Pizza\x00night"}),
        ("description", {"description": "d" * 2001}),
        ("description", {"description": "nul\x00byte"}),
        ("location", {"location": "l" * 201}),
        ("when", {"when": "the day after never"}),
        ("when", {"when": datetime(2020, 1, 1, tzinfo=UTC)}),
        ("timezone", {"timezone": "Mars/Olympus"}),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_stores_nothing(uow, field, overrides):
    with pytest.raises(InvalidField) as info:
        await create(uow, **overrides)
    assert info.value.field == field
    assert await count_events(uow) == 0


async def test_get_refuses_unknown_and_malformed_links(uow):
    await create(uow)
    for link in ["Zz9Zz9Zz9Z", "short", "'; DROP TABLE events; --", "", "a" * 500, "abc\x00defghi"]:
        with pytest.raises(EventNotFound):
            await service.get_event(uow, link)


async def test_a_link_collision_is_retried_with_a_new_link(uow, monkeypatch):
    first = await create(uow)
    links = iter([first.event.link_id, first.event.link_id, "Fresh12345"])
    monkeypatch.setattr(codes, "new_link_id", lambda: next(links))
    second = await create(uow, title="Second")
    assert second.event.link_id == "Fresh12345"
    assert (await service.get_event(uow, first.event.link_id)).title == "Pizza night"
    assert await count_events(uow) == 2


async def test_endless_collisions_give_up_after_a_bounded_number_of_tries(uow, monkeypatch):
    first = await create(uow)
    monkeypatch.setattr(codes, "new_link_id", lambda: first.event.link_id)
    with pytest.raises(RuntimeError, match="no free link id"):
        await create(uow, title="Second")
    assert await count_events(uow) == 1


async def test_other_integrity_errors_surface_instead_of_being_retried(uow, monkeypatch):
    calls = []
    original = codes.new_link_id

    def link():
        calls.append(1)
        return original()

    monkeypatch.setattr(codes, "new_link_id", link)
    monkeypatch.setattr(service, "clean_title", lambda value: None)  # violates NOT NULL
    with pytest.raises(IntegrityError, match=r"(?i)null"):
        await create(uow)
    assert len(calls) == 1


async def test_the_creator_changes_fields_one_at_a_time_by_account(uow):
    created = await create(uow, description="old")
    link = created.event.link_id
    updated = await edit(uow, link, BY_CREATOR, "title", "  Pasta night ")
    assert updated.title == "Pasta night"
    assert updated.description == "old"
    assert updated.location == "Mario's"
    assert updated.sequence == created.event.sequence + 1
    await edit(uow, link, BY_CREATOR, "description", "")
    updated = await edit(uow, link, BY_CREATOR, "location", "Luigi's")
    assert (updated.title, updated.description, updated.location) == ("Pasta night", None, "Luigi's")
    moved = await edit(uow, link, BY_CREATOR, "when", "2031-12-06 20:00")
    assert (
        (await service.get_event(uow, link)).starts_at
        == moved.starts_at
        == datetime(2031, 12, 6, 19, tzinfo=UTC)
    )


async def test_a_code_holder_can_edit_in_private_and_the_code_is_accepted_in_any_form(uow):
    created = await create(uow)
    typed = created.secret_code.lower().replace("-", " ")
    updated = await edit(uow, created.event.link_id, BY_HOLDER, "title", "By the co-organiser", code=typed)
    assert updated.title == "By the co-organiser"


async def test_a_code_never_works_outside_a_private_chat_and_is_not_even_checked_there(uow):
    created = await create(uow)
    link = created.event.link_id
    in_group = Requester(STRANGER, private=False)
    for code in (created.secret_code, "AAAA-BBBB-CCCC"):
        with pytest.raises(NotAllowed):
            await edit(uow, link, in_group, "title", "From the group", code=code)
    nobody = Requester(None, private=True)
    with pytest.raises(NotAllowed):
        await edit(uow, link, nobody, "title", "From a channel", code=created.secret_code)
    async with uow:
        assert await uow.session.scalar(text("SELECT count(*) FROM code_attempts")) == 0
    assert (await service.get_event(uow, link)).title == "Pizza night"


async def test_edit_rejects_a_wrong_code_and_changes_nothing(uow):
    created = await create(uow)
    with pytest.raises(WrongSecretCode):
        await edit(uow, created.event.link_id, BY_HOLDER, "title", "Hacked", code=codes.new_secret_code())
    assert (await service.get_event(uow, created.event.link_id)).title == "Pizza night"


async def test_edit_without_account_or_code_is_not_allowed(uow):
    created = await create(uow)
    with pytest.raises(NotAllowed):
        await edit(uow, created.event.link_id, Requester(STRANGER), "title", "Mine now")
    with pytest.raises(NotAllowed):
        await service.delete_event(uow, created.event.link_id, Requester(None))


async def test_a_bad_new_time_changes_nothing_at_all(uow):
    created = await create(uow)
    with pytest.raises(InvalidField) as info:
        await edit(uow, created.event.link_id, BY_CREATOR, "when", "yesterday 10am")
    assert info.value.field == "when"
    assert (await service.get_event(uow, created.event.link_id)).starts_at == created.event.starts_at


async def test_delete_cancels_the_event_which_then_cannot_be_edited(uow):
    created = await create(uow)
    link = created.event.link_id
    await access.unlock(uow, link, BY_HOLDER, created.secret_code)
    cancelled = await service.delete_event(uow, link, BY_HOLDER)
    assert cancelled.is_cancelled
    assert (await service.get_event(uow, link)).is_cancelled
    with pytest.raises(EventCancelled):
        await edit(uow, link, BY_CREATOR, "title", "Back")
    assert await service.list_user_events(uow, CREATOR) == []


async def test_unlock_rejects_a_wrong_code(uow):
    created = await create(uow)
    with pytest.raises(WrongSecretCode):
        await access.unlock(uow, created.event.link_id, BY_HOLDER, "AAAA-BBBB-CCCC")
    with pytest.raises(NotAllowed):
        await service.delete_event(uow, created.event.link_id, BY_HOLDER)
    assert not (await service.get_event(uow, created.event.link_id)).is_cancelled


async def test_replacing_the_code_makes_the_old_one_stop_working(uow):
    created = await create(uow)
    link = created.event.link_id
    new = await service.rotate_code(uow, link, BY_HOLDER, code=created.secret_code, rounds=ROUNDS)
    assert new.secret_code != created.secret_code and new.event.link_id == link
    with pytest.raises(WrongSecretCode):
        await edit(uow, link, BY_HOLDER, "title", "Old code", code=created.secret_code)
    updated = await edit(uow, link, BY_HOLDER, "title", "New code", code=new.secret_code)
    assert updated.title == "New code"


async def test_a_new_code_ends_every_unlock_made_with_the_old_one(uow):
    """Issue 10.1: Bob used a leaked code once; after Alice's /newcode he could still edit."""
    created = await create(uow)
    link = created.event.link_id
    bob = Requester(3003, private=True)
    await access.unlock(uow, link, bob, created.secret_code)
    assert (await edit(uow, link, bob, "title", "Bob was here")).title == "Bob was here"
    await service.rotate_code(uow, link, BY_CREATOR, rounds=ROUNDS)
    with pytest.raises(NotAllowed):
        await edit(uow, link, bob, "title", "Bob again")
    with pytest.raises(NotAllowed):  # nor can he replace the code without typing the current one
        await service.rotate_code(uow, link, bob, rounds=ROUNDS)
    assert (await service.get_event(uow, link)).title == "Bob was here"


async def test_an_unlock_lasts_a_fixed_hour_that_using_it_does_not_extend(uow):
    created = await create(uow)
    link = created.event.link_id
    now = datetime.now(UTC)
    await access.unlock(uow, link, BY_HOLDER, created.secret_code, now=now)
    for minutes in (10, 30, 59):
        await edit(uow, link, BY_HOLDER, "title", f"At {minutes}", now=now + timedelta(minutes=minutes))
        await flows.save_flow(
            uow, STRANGER, STRANGER, "edit_value", {"link": link}, now=now + timedelta(minutes=minutes)
        )
    with pytest.raises(NotAllowed):
        await edit(uow, link, BY_HOLDER, "title", "Too late", now=now + access.UNLOCK_LIFETIME)


async def test_an_unlock_counts_only_in_that_persons_private_chat(uow):
    created = await create(uow)
    link = created.event.link_id
    await access.unlock(uow, link, BY_HOLDER, created.secret_code)
    assert (await service.open_management(uow, link, BY_HOLDER)).allowed
    with pytest.raises(NotAllowed):
        await edit(uow, link, Requester(STRANGER, private=False), "title", "From a group")
    assert not (await service.open_management(uow, link, Requester(9, private=True))).allowed


async def test_only_the_creator_or_the_current_code_replaces_the_code(uow):
    created = await create(uow)
    link = created.event.link_id
    await access.unlock(uow, link, BY_HOLDER, created.secret_code)
    with pytest.raises(NotAllowed):  # an unlock alone is not enough
        await service.rotate_code(uow, link, BY_HOLDER, rounds=ROUNDS)
    with pytest.raises(WrongSecretCode):
        await service.rotate_code(uow, link, BY_HOLDER, code="AAAA-BBBB-CCCC", rounds=ROUNDS)
    by_creator = await service.rotate_code(uow, link, BY_CREATOR, rounds=ROUNDS)
    with pytest.raises(WrongSecretCode):
        await service.rotate_code(uow, link, BY_HOLDER, code=created.secret_code, rounds=ROUNDS)
    await service.rotate_code(uow, link, BY_HOLDER, code=by_creator.secret_code, rounds=ROUNDS)


async def test_wrong_codes_are_throttled_per_user_with_a_growing_lockout(uow):
    created = await create(uow)
    link = created.event.link_id
    now = datetime.now(UTC)
    wrong, right = "AAAA-BBBB-CCCC", created.secret_code
    for _ in range(access.USER_FREE_FAILURES):
        with pytest.raises(WrongSecretCode):
            await access.unlock(uow, link, BY_HOLDER, wrong, now=now)
    with pytest.raises(WrongSecretCode):
        await access.unlock(uow, link, BY_HOLDER, wrong, now=now)
    # Now locked out for a minute: even the right code is refused, without checking it.
    with pytest.raises(TooManyAttempts) as info:
        await access.unlock(uow, link, BY_HOLDER, right, now=now + timedelta(seconds=30))
    assert info.value.retry_after_seconds == 30
    with pytest.raises(WrongSecretCode):
        await access.unlock(uow, link, BY_HOLDER, wrong, now=now + timedelta(minutes=1, seconds=1))
    with pytest.raises(TooManyAttempts) as info:
        await access.unlock(uow, link, BY_HOLDER, right, now=now + timedelta(minutes=2))
    assert info.value.retry_after_seconds > 60  # the second lockout is longer than the first
    # The creator's account is not affected by someone else's guessing.
    assert (await edit(uow, link, BY_CREATOR, "title", "Still mine")).title == "Still mine"
    # Once the lockout has passed, the right code works and clears the record.
    later = now + timedelta(hours=2)
    assert (await edit(uow, link, BY_HOLDER, "title", "ok", code=right, now=later)).title == "ok"


async def test_guessing_from_many_accounts_is_throttled_per_event(uow):
    created = await create(uow)
    link = created.event.link_id
    now = datetime.now(UTC)
    for user in range(access.EVENT_FREE_FAILURES + 1):
        with pytest.raises(WrongSecretCode):
            await access.unlock(uow, link, Requester(5000 + user, private=True), "AAAA-BBBB-CCCC", now=now)
    with pytest.raises(TooManyAttempts):
        await access.unlock(uow, link, Requester(9999, private=True), created.secret_code, now=now)


async def test_list_shows_a_users_upcoming_events_soonest_first(uow):
    later = await create(uow, title="Later", when=soon(days=10))
    sooner = await create(uow, title="Sooner", when=soon(days=2))
    await create(uow, title="Someone else's", creator_user_id=STRANGER)
    cancelled = await create(uow, title="Cancelled")
    await service.delete_event(uow, cancelled.event.link_id, BY_CREATOR)
    past_start = datetime.now(UTC) + timedelta(days=3, hours=1)
    events = await service.list_user_events(uow, CREATOR, now=past_start)
    assert [e.link_id for e in events] == [later.event.link_id]
    events = await service.list_user_events(uow, CREATOR)
    assert [e.title for e in events] == ["Sooner", "Later"]
    assert sooner.event.link_id == events[0].link_id


async def test_a_claim_hands_a_fresh_code_to_the_creator_once(uow):
    created = await create(uow)
    token = await claims.create_claim(uow, created.event.link_id, CREATOR)
    with pytest.raises(ClaimNotYours):
        await claims.redeem_claim(uow, token, STRANGER, rounds=ROUNDS)
    claimed = await claims.redeem_claim(uow, token, CREATOR, rounds=ROUNDS)
    assert claimed.event.link_id == created.event.link_id
    assert (
        await edit(uow, created.event.link_id, BY_HOLDER, "title", "t", code=claimed.secret_code)
    ).title == "t"
    with pytest.raises(ClaimNotFound):
        await claims.redeem_claim(uow, token, CREATOR, rounds=ROUNDS)


async def test_a_new_code_ends_every_pending_claim(uow):
    """Issue 10.1, the claim path: a claim made before /newcode must not hand out another code."""
    created = await create(uow)
    link = created.event.link_id
    token = await claims.create_claim(uow, link, CREATOR)
    newer = await service.rotate_code(uow, link, BY_CREATOR, rounds=ROUNDS)
    with pytest.raises(ClaimNotFound):
        await claims.redeem_claim(uow, token, CREATOR, rounds=ROUNDS)
    assert (
        await edit(uow, link, BY_HOLDER, "title", "Still works", code=newer.secret_code)
    ).title == "Still works"


async def test_a_claim_expires_and_only_the_creator_can_ask_for_one(uow):
    created = await create(uow)
    with pytest.raises(NotAllowed):
        await claims.create_claim(uow, created.event.link_id, STRANGER)
    now = datetime.now(UTC)
    token = await claims.create_claim(uow, created.event.link_id, CREATOR, now=now)
    with pytest.raises(ClaimNotFound):
        await claims.redeem_claim(uow, token, CREATOR, rounds=ROUNDS, now=now + claims.CLAIM_TTL)
    with pytest.raises(ClaimNotFound):
        await claims.redeem_claim(uow, "made-up-token", CREATOR, rounds=ROUNDS)


async def test_the_claim_token_is_stored_only_as_a_hash(uow):
    created = await create(uow)
    token = await claims.create_claim(uow, created.event.link_id, CREATOR)
    async with uow:
        stored = (await uow.session.execute(text("SELECT token_hash FROM code_claims"))).scalars().all()
    assert stored and token not in stored[0]


async def test_posted_cards_are_recorded_once(uow):
    created = await create(uow)
    link = created.event.link_id
    await cards.record_card(uow, link, chat_id=-100123, message_id=7)
    await cards.record_card(uow, link, chat_id=-100123, message_id=7)
    await cards.record_card(uow, link, chat_id=CREATOR, message_id=3)
    await cards.record_card(uow, link, inline_message_id="AAQ-inline")
    posted = await cards.posted_cards(uow, link)
    assert [(c.chat_id, c.message_id, c.inline_message_id) for c in posted] == [
        (-100123, 7, None),
        (CREATOR, 3, None),
        (None, None, "AAQ-inline"),
    ]


async def test_a_chat_timezone_defaults_and_can_be_set_by_name_or_city(uow):
    assert await chat_settings.chat_timezone(uow, -100123, "UTC") == "UTC"
    assert (await chat_settings.set_chat_timezone(uow, -100123, "europe/berlin")).timezone == "Europe/Berlin"
    assert await chat_settings.chat_timezone(uow, -100123, "UTC") == "Europe/Berlin"
    assert (await chat_settings.set_chat_timezone(uow, -100123, "New York")).timezone == "America/New_York"
    assert await chat_settings.chat_timezone(uow, -100123, "UTC") == "America/New_York"
    with pytest.raises(InvalidField):
        await chat_settings.set_chat_timezone(uow, -100123, "Atlantis")
    assert await chat_settings.chat_timezone(uow, -100123, "UTC") == "America/New_York"


async def test_a_flow_is_stored_continued_and_ended(uow):
    now = datetime.now(UTC)
    assert await flows.get_flow(uow, 1, CREATOR) is None
    await flows.save_flow(uow, 1, CREATOR, "title", {}, now=now)
    await flows.save_flow(uow, 1, CREATOR, "when", {"title": "Pizza"}, now=now)
    state = await flows.get_flow(uow, 1, CREATOR, now=now)
    assert state == flows.FlowState("when", {"title": "Pizza"})
    assert await flows.get_flow(uow, 1, CREATOR, now=now + flows.FLOW_TTL) is None
    assert await flows.end_flow(uow, 1, CREATOR)
    assert await flows.get_flow(uow, 1, CREATOR, now=now) is None
    assert not await flows.end_flow(uow, 1, CREATOR)


async def test_the_same_request_twice_creates_one_event(uow):
    first = await create(uow, origin="-100123:42")
    again = await create(uow, origin="-100123:42", title="Different text, same message")
    assert not first.repeated and first.secret_code
    assert again.repeated and again.secret_code == ""
    assert again.event.link_id == first.event.link_id
    assert again.event.title == "Pizza night"
    assert await count_events(uow) == 1
    other = await create(uow, origin="-100123:43")
    assert other.event.link_id != first.event.link_id


async def test_a_repeated_create_posts_its_card_only_when_nobody_has_or_is_about_to(uow):
    now = datetime.now(UTC)
    created = await create(uow, origin="-100123:50", now=now)
    link = created.event.link_id
    # The first delivery is still posting (its lease runs): wait.
    waiting = await cards.claim_publication(uow, link, -100123, now=now + timedelta(seconds=1))
    assert not waiting.post and 8 < waiting.wait <= 9
    # It died without posting: after the lease, this caller posts, and holds the lease itself.
    later = now + cards.PUBLISH_LEASE + timedelta(seconds=1)
    assert (await cards.claim_publication(uow, link, -100123, now=later)).post
    assert not (await cards.claim_publication(uow, link, -100123, now=later)).post
    await cards.record_card(uow, link, chat_id=-100123, message_id=9)
    done = await cards.claim_publication(uow, link, -100123, now=later + cards.PUBLISH_LEASE * 2)
    assert (done.post, done.wait) == (False, 0.0)
    assert (await service.get_event(uow, link)).sequence == created.event.sequence
