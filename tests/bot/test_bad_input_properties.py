"""Arbitrary text and callback data through the real bot: a friendly reply, never a crash, no writes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import texts
from core.storage.models import Event, Rsvp
from tests.bot.conftest import BotHarness
from tests.bot.test_view import make_event

COMMANDS = st.sampled_from(
    ["/event", "/editevent", "/deleteevent", "/newcode", "/reminders", "/start", "/timezone"]
)
ARGS = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=60)


async def rows(harness: BotHarness) -> tuple[int, int]:
    async with harness.app.bot_data.uow() as uow:
        events = await uow.session.scalar(select(func.count()).select_from(Event))
        rsvps = await uow.session.scalar(select(func.count()).select_from(Rsvp))
    return int(events or 0), int(rsvps or 0)


# One bot and database for all examples: what is checked is that nothing accumulates.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=COMMANDS, args=ARGS, data=st.text(max_size=70))
async def test_random_arguments_and_forged_buttons_change_nothing(
    harness: BotHarness, fake, command: str, args: str, data: str
):
    alice, group = fake.add_user("Alice"), fake.add_group("Friends")
    if not fake.messages_in(group):
        await make_event(harness, alice, group)
    bob = fake.add_user("Bob")
    before = await rows(harness)
    card = harness.card_in(group)
    await harness.send(bob, bob, f"{command} {args}")
    harness.fake.user_taps(bob, card, data or "x", forged=True)
    await harness.pump()
    assert texts.SORRY not in harness.said(bob)
    assert all(answer.get("text") != texts.SORRY for answer in harness.fake.callback_answers)
    assert await rows(harness) == before
