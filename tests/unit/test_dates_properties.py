"""The time of an event comes from what was typed, never from the clock, whatever the moment of typing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from core.dates import parse_when
from core.errors import InvalidField

ZONES = st.sampled_from(["UTC", "Europe/Paris", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
NOWS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
DAYS = st.sampled_from(["tomorrow", "fri", "next monday", "Sunday", "05.12.2030", "2030-12-05", "5 Dec 2030"])
# How a time of day may be written: each gives the same hour and minute.
FORMS = st.sampled_from(["{h}:{m:02d}", "{h}h{m:02d}", "{h:02d}{m:02d}", "{h}.{m:02d}", "at {h}:{m:02d}"])
WORDS = st.lists(
    st.sampled_from(
        "tomorrow fri sat next at 7 9 pm 7pm 19:30 22:00 19h 19.30 1930 2026 05.12 dec 5 - – to for 2h "
        "evening tonight noon |".split()
    ),
    min_size=1,
    max_size=6,
).map(" ".join)


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


@settings(max_examples=300, deadline=None)
@given(now=NOWS, zone=ZONES, day=DAYS, form=FORMS, hour=st.integers(13, 23), minute=st.integers(13, 59))
def test_the_start_has_the_hour_and_minute_typed(now, zone, day, form, hour, minute):
    text = f"{day} {form.format(h=hour, m=minute)}"
    try:
        when = parse_when(text, zone, now=now)
    except InvalidField as exc:
        # 05.12.2030 and 5 Dec 2030 are past for a "now" late in 2030; a gap hour does not exist.
        assert exc.reason in {"past", "skipped_by_dst"}, text
    else:
        assert (local(when.starts_at, zone).hour, local(when.starts_at, zone).minute) == (hour, minute)


@settings(max_examples=300, deadline=None)
@given(now=NOWS, zone=ZONES, start=st.integers(0, 23 * 60 + 59), end=st.integers(0, 23 * 60 + 59))
def test_a_range_ends_at_the_time_typed_within_a_day_after_the_start(now, zone, start, end):
    text = f"tomorrow {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    try:
        when = parse_when(text, zone, now=now)
    except InvalidField as exc:
        assert exc.reason in {"skipped_by_dst", "end_before_start"}, text
        assert exc.reason == "skipped_by_dst" or start == end
    else:
        assert when.ends_at is not None
        ends = local(when.ends_at, zone)
        assert ends.hour * 60 + ends.minute == end
        assert timedelta(0) < when.ends_at - when.starts_at <= timedelta(hours=25)


@settings(max_examples=300, deadline=None)
@given(now=NOWS, zone=ZONES, text=WORDS, later=st.integers(1, 59 * 60))
def test_typing_the_same_text_a_little_later_gives_the_same_time_of_day(now, zone, text, later):
    try:
        first = parse_when(text, zone, now=now)
        second = parse_when(text, zone, now=now + timedelta(seconds=later))
    except InvalidField:
        return
    for one, other in ((first.starts_at, second.starts_at), (first.ends_at, second.ends_at)):
        if one is not None and other is not None:
            assert local(one, zone).time() == local(other, zone).time(), text
