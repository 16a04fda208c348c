"""Dates typed in the chat's language, and in English, with the same rules as in English."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.dates import parse_when
from core.errors import InvalidField

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday, 13:00 in Paris
PARIS = "Europe/Paris"


def _local(text: str, language: str) -> str:
    when = parse_when(text, PARIS, now=NOW, language=language)
    return f"{when.starts_at.astimezone(ZoneInfo(PARIS)):%Y-%m-%d %H:%M}"


@pytest.mark.parametrize(
    ("text", "language", "local"),
    [
        ("mañana 19:00", "es", "2026-12-01 19:00"),
        ("mañana a las 19:30", "es", "2026-12-01 19:30"),
        ("viernes 20:00", "es", "2026-12-04 20:00"),
        ("morgen 19 Uhr", "de", "2026-12-01 19:00"),
        ("morgen um 19:30", "de", "2026-12-01 19:30"),
        ("am Freitag um 19 Uhr", "de", "2026-12-04 19:00"),
        ("завтра в 19:00", "ru", "2026-12-01 19:00"),
        ("пт 19:30", "ru", "2026-12-04 19:30"),
        ("5 декабря 19:30", "ru", "2026-12-05 19:30"),
        ("amanhã às 19h", "pt_BR", "2026-12-01 19:00"),
        ("sexta 19h30", "pt_BR", "2026-12-04 19:30"),
        ("فردا ۱۹:۰۰", "fa", "2026-12-01 19:00"),
        ("tomorrow 7pm", "ru", "2026-12-01 19:00"),  # English is always understood too
        ("2026-12-05 19:30", "de", "2026-12-05 19:30"),
    ],
)
def test_a_date_in_the_chats_language_is_read(text, language, local):
    assert _local(text, language) == local


@pytest.mark.parametrize(
    ("text", "language", "reason"),
    [
        ("завтра", "ru", "no_time"),  # the time must be typed
        ("mañana", "es", "no_time"),
        ("вчера в 19:00", "ru", "past"),
        ("ayer 19:00", "es", "past"),
        ("когда-нибудь", "ru", "not_understood"),
    ],
)
def test_the_english_rules_hold_in_every_language(text, language, reason):
    with pytest.raises(InvalidField) as refused:
        parse_when(text, PARIS, now=NOW, language=language)
    assert refused.value.reason == reason


def test_a_time_skipped_by_daylight_saving_is_refused_in_any_language():
    with pytest.raises(InvalidField) as refused:
        parse_when("2027-03-28 02:30", PARIS, now=NOW, language="ru")
    assert refused.value.reason == "skipped_by_dst"


def test_english_chats_read_as_before():
    assert _local("Fri 19:30", "en") == "2026-12-04 19:30"
    with pytest.raises(InvalidField):
        parse_when("mañana 19:00", PARIS, now=NOW, language="en")
