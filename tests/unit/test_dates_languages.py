"""Dates typed in the chat's language, and in English, with the same rules as in English."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.dates import parse_end, parse_when
from core.errors import InvalidField
from core.events import parse_capacity, parse_guests

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


@pytest.mark.parametrize(
    ("text", "language", "local"),
    [
        ("پنج‌شنبه 19:00", "fa", "2026-12-03 19:00"),  # with the zero-width non-joiner Persian writes
        ("پنجشنبه 19:00", "fa", "2026-12-03 19:00"),
        ("یکشنبه 11:00", "fa", "2026-12-06 11:00"),  # Persian letters, where dateparser has Arabic ones
        ("next sat 14:00", "en", "2026-12-05 14:00"),
        ("next sun 7pm", "ru", "2026-12-06 19:00"),
    ],
)
def test_the_usual_spellings_of_a_day_are_read(text, language, local):
    assert _local(text, language) == local


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("dom 02:00", "pt_BR"),
        ("dom 02:00", "es"),
        ("вс 02:00", "ru"),
        ("So 02:00", "de"),
        ("یکشنبه 02:00", "fa"),
    ],
)
def test_an_end_that_names_its_day_in_the_chats_language_ends_on_that_day(text, language):
    friday = parse_when("2026-12-04 19:30", PARIS, now=NOW).starts_at

    end = parse_end(text, friday, PARIS, language=language)

    assert f"{end.astimezone(ZoneInfo(PARIS)):%a %H:%M}" == "Sun 02:00"  # not Saturday, the next morning


@pytest.mark.parametrize(("text", "language"), [("sex 4 dez 19:30", "pt_BR"), ("пт 3 декабря 19:30", "ru")])
def test_a_weekday_that_is_not_the_dates_is_refused_in_any_language(text, language):
    # 3 December 2026 is a Thursday: the bot does not pick one of the two for the person.
    assert parse_when("qui 3 dez 19:30", PARIS, now=NOW, language="pt_BR").starts_at.day == 3
    with pytest.raises(InvalidField):
        parse_when(text.replace("4 dez", "3 dez"), PARIS, now=NOW, language=language)


@pytest.mark.parametrize(("typed", "seats"), [("12", 12), ("۱۲", 12), ("١٢", 12), ("0", None)])
def test_seats_and_guests_are_read_in_the_digits_a_phone_types(typed, seats):
    assert parse_capacity(typed) == seats
    assert parse_guests(typed[:1]) == (int(unicodedata.decimal(typed[0])) if seats else 0)


@pytest.mark.parametrize("typed", ["²", "½", "1.5", "-3", "twelve"])
def test_what_only_looks_like_a_number_of_seats_is_refused(typed):
    with pytest.raises(InvalidField):
        parse_capacity(typed)
