"""The translations stay honest: every catalog complete, the same placeholders and tags as the English
source, and every message, rendered in every language, HTML that Telegram accepts."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n, i18n_check, poll_texts, texts
from bot.app import GROUP_COMMANDS, PRIVATE_COMMANDS, command_menu
from bot.handlers.polls import parse_poll
from bot.reminders import reminder_text
from bot.timefmt import describe_offsets, describe_seconds, plural
from core import errors, polls, recurrence
from core.config import LANGUAGE_CODES
from core.events import GOING, MAYBE, WAITING, Attendee, EventView, RsvpSummary
from core.polls import IF_NEED_BE, NO, YES, OptionView, PollView
from core.reminders import DueReminder
from tests.support.telegram_text import EntityParseError, parse_html

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.SOURCE_LANGUAGE]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
START = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)


def _problems(language: str, kind: str) -> list[str]:
    return [problem for problem in i18n_check.problems(language) if kind in problem]


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_translates_every_message_and_none_is_fuzzy(language):
    assert _problems(language, "not translated") == []
    assert _problems(language, "fuzzy") == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_sources_placeholders_and_html_tags(language):
    assert _problems(language, "placeholders differ") == []
    assert _problems(language, "HTML tags differ") == []


def test_the_checker_catches_a_changed_placeholder_and_a_lost_tag():
    assert i18n_check.placeholders("Hi {name}, {count}") != i18n_check.placeholders("Hola {nombre}, {count}")
    assert i18n_check.tags("<b>{title}</b> x") != i18n_check.tags("{title} x")
    assert i18n_check.tags('<code>a</code> <tg-time unix="1" format="r">x</tg-time>') == i18n_check.tags(
        '<tg-time unix="2" format="r">y</tg-time> <code>b</code>'
    )


def test_the_template_holds_every_string_the_code_marks():
    """A string marked in the code but missing from messages.pot would never reach a translator."""
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    marked = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=keywords
        )
    }
    with (ROOT / "bot/locales/messages.pot").open("rb") as pot:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    assert marked == template, "run scripts/i18n update"


def test_every_language_has_a_catalog_and_the_settings_know_them():
    assert tuple(i18n.LANGUAGES) == LANGUAGE_CODES
    for language in TRANSLATED:
        assert i18n.po_path(language).exists()


@pytest.mark.parametrize(
    ("tag", "language"),
    [("pt-br", "pt_BR"), ("pt-BR", "pt_BR"), ("pt", "pt_BR"), ("ru-RU", "ru"), ("ru", "ru"), ("de-AT", "de")],
)
def test_telegram_language_codes_map_to_the_bots_languages(tag, language):
    assert i18n.normalize(tag) == language


@pytest.mark.parametrize("tag", ["", None, "xx", "zh-hans", "en-"])
def test_an_unknown_language_code_falls_back(tag):
    assert i18n.normalize(tag) in (None, "en")
    i18n.set_language(tag)
    assert i18n.current() == i18n.default()


def test_russian_plurals_have_their_three_forms():
    with i18n.use("ru"):
        assert [plural(n, "day") for n in (1, 2, 5, 21, 11, 22)] == [
            "1 день",
            "2 дня",
            "5 дней",
            "21 день",
            "11 дней",
            "22 дня",
        ]
        assert describe_seconds(120) == "2 минуты"
        seats = [_event(max_guests=n) for n in (1, 2, 5)]
        lines = [texts.card(event, "bot", now=NOW).split("\n") for event in seats]
        guests = [next(line for line in card if line.startswith("➕")) for card in lines]
        assert guests == [
            "➕ Каждый участник может привести до 1 гостя",
            "➕ Каждый участник может привести до 2 гостей",
            "➕ Каждый участник может привести до 5 гостей",
        ]


def test_english_plurals_say_one_seat_and_two_seats():
    with i18n.use("en"):
        assert plural(1, "hour") == "1 hour"
        assert plural(2, "hour") == "2 hours"
        assert texts.guests_now(1) == "You're bringing 1 guest."
        assert texts.guests_now(2) == "You're bringing 2 guests."


def test_dates_follow_the_locale():
    event = _event()
    with i18n.use("en"):
        assert "Fri 4 Dec 2026, 19:30 CET (Europe/Paris)" in texts.card(event, "bot", now=NOW)
    with i18n.use("ru"):
        assert "пт, 4 дек. 2026\u202fг., 19:30 CET (Europe/Paris)" in texts.card(event, "bot", now=NOW)
    with i18n.use("de"):
        assert "Fr., 4. Dez. 2026, 19:30" in texts.card(event, "bot", now=NOW)


def test_a_card_carries_its_times_as_date_time_entities():
    ends = START + timedelta(hours=9)  # the next morning: a date of its own
    closes = START - timedelta(hours=5)
    html = texts.card(_event(ends_at=ends, answers_close_at=closes), "bot", now=NOW)
    text, entities = parse_html(html)
    times = [e for e in entities if e["type"] == "date_time"]
    assert [(e["unix_time"], e["date_time_format"]) for e in times] == [
        (int(START.timestamp()), "wDt"),
        (int(ends.timestamp()), "wDt"),
        (int(START.timestamp()), "r"),
        (int(closes.timestamp()), "wDt"),
    ]
    assert "Fri 4 Dec 2026, 19:30 CET (Europe/Paris) → Sat 5 Dec, 04:30 · in 3 days" in text


def test_a_poll_card_carries_each_time_and_its_deadline_as_date_time_entities():
    poll = _poll()
    html = poll_texts.poll_card(poll, "bot", now=NOW)
    text, entities = parse_html(html)
    second = poll.options[1]
    assert [(e["unix_time"], e["date_time_format"]) for e in entities if e["type"] == "date_time"] == [
        (int(START.timestamp()), "wDt"),
        (int(second.starts_at.timestamp()), "wDt"),
        (int(second.ends_at.timestamp()), "t"),  # type: ignore[union-attr]
        (int((START + timedelta(days=2)).timestamp()), "wDt"),
        (int((START - timedelta(days=1)).timestamp()), "wDt"),
    ]
    assert "2. Sat 5 Dec, 19:30–21:30" in text
    assert "⏳ Closes Thu 3 Dec, 19:30" in text
    decided_text, decided_entities = parse_html(poll_texts.decided_card(_event(), "bot"))
    assert "Decided: Fri 4 Dec 2026, 19:30 CET (Europe/Paris)" in decided_text
    assert [e["unix_time"] for e in decided_entities if e["type"] == "date_time"] == [int(START.timestamp())]


def test_a_poll_card_reads_in_russian_with_its_plurals():
    with i18n.use("ru"):
        text, _entities = parse_html(poll_texts.poll_card(_poll(), "bot", now=NOW))
        assert "Когда вам удобно?" in text and "1. пт, 4 дек., 19:30" in text
        assert "🌍 Время указано в зоне Europe/Paris" in text
        assert [poll_texts.updated_dropped(n).split(". ", 1)[1][:18] for n in (1, 2, 5)] == [
            "Голоса 1 человека ",
            "Голоса 2 человек з",
            "Голоса 5 человек з",
        ]
        assert poll_texts.inline_description(2) == "Опрос: 2 варианта времени"
        assert poll_texts.inline_description(5) == "Опрос: 5 вариантов времени"
        assert poll_texts.is_done("Готово") and poll_texts.is_done("done")


def test_a_started_event_has_no_relative_entity():
    html = texts.card(_event(), "bot", now=START + timedelta(minutes=10))
    _text, entities = parse_html(html)
    assert [e.get("date_time_format") for e in entities if e["type"] == "date_time"] == ["wDt"]


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_every_message_renders_as_telegram_html_in_every_language(language):
    with i18n.use(language):
        rendered = list(_every_message())
    assert len(rendered) > 150
    for name, html in rendered:
        try:
            parse_html(html)
        except EntityParseError as exc:
            pytest.fail(f"{language} {name}: {exc}\n{html}")


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_the_command_menu_is_translated_within_telegrams_limits(language):
    for commands in (PRIVATE_COMMANDS, GROUP_COMMANDS):
        menu = command_menu(commands, language)
        assert all(1 <= len(command.description) <= 256 for command in menu)
    if language == "ru":
        assert command_menu(PRIVATE_COMMANDS, "ru")[0].description == "Создать событие"


# -- samples --------------------------------------------------------------------------------------------


def _event(**changes: object) -> EventView:
    fields: dict[str, object] = {
        "link_id": "Ab3dE5gH9k",
        "title": "Pizza <night> & co",
        "description": "Bring <b> nothing",
        "location": "Mario's",
        "starts_at": START,
        "ends_at": None,
        "timezone": "Europe/Paris",
        "creator_user_id": 1,
        "chat_id": -1,
        "sequence": 0,
        "created_at": NOW,
        "updated_at": NOW,
        "cancelled_at": None,
    }
    fields.update(changes)
    return EventView(**fields)  # type: ignore[arg-type]


def _samples() -> list[EventView]:
    series = recurrence.parse_series("last Fri of the month 19:00 until 1 June 2027", "Europe/Paris", now=NOW)
    people = tuple(Attendee(n, f"Person {n}", n % 3) for n in range(1, 14))
    full = RsvpSummary(going=people[:5], maybe=people[5:8], waiting=people[8:], no_count=4)
    return [
        _event(),
        _event(ends_at=START + timedelta(hours=3), capacity=6, max_guests=2, rsvps=full),
        _event(ends_at=START + timedelta(hours=9), answers_close_at=START - timedelta(days=1)),
        _event(answers_closed=True, hide_names=True, rsvps=full),
        _event(cancelled_at=NOW),
        _event(
            starts_at=series.first,
            recurrence=series.rule,
            series_start=series.first,
            occurrence_start=series.first,
        ),
        _event(recurrence="FREQ=WEEKLY;BYDAY=TU,TH;COUNT=5", series_start=START, occurrence_start=None),
    ]


def _every_message():
    """(name, html) for every sentence the bot can send, with sample values."""
    for index, event in enumerate(_samples()):
        yield f"card {index}", texts.card(event, "skedjitbot", now=NOW, viewer_timezone="Asia/Tokyo")
        yield (
            f"group card {index}",
            texts.card(event, "skedjitbot", now=NOW, zone_hint=True, show_names=False),
        )
        yield f"preview {index}", texts.card_preview(event)
    yield "help", texts.help_text() + texts.HELP_GROUP_EXTRA
    yield "usage", texts.newevent_usage()
    yield "code", texts.code_dm(_event(), "7KQF-9XMP-3WTR")
    yield "code failed", texts.code_dm_failed('<a href="tg://user?id=1">Ann</a>')
    yield "my events", texts.my_events(_samples(), "skedjitbot")
    yield "guests", texts.guests_now(0) + texts.guests_now(1) + texts.guests_now(3)
    yield "offsets", texts.esc(describe_offsets((1440, 90, 5)))
    due = DueReminder(1, 60, _event(), (-1,), (2,))
    yield "reminder", reminder_text(_Data(), due, NOW)  # type: ignore[arg-type]
    for name in sorted(texts._MARKED):
        value = getattr(texts, name)
        values = value.values() if isinstance(value, dict) else value if isinstance(value, tuple) else [value]
        for text in values:
            yield name, _filled(text)
    for error in _errors():
        yield repr(error), texts.describe_error(error)
        yield f"newevent {error!r}", texts.newevent_error(error)
    yield from _every_poll_message()


def _every_poll_message():
    """(name, html) for every sentence of a time poll, and its card as it goes."""
    for name, poll, now in _poll_samples():
        yield f"poll card {name}", poll_texts.poll_card(poll, "skedjitbot", now=now)
        yield (
            f"private poll card {name}",
            poll_texts.poll_card(poll, "skedjitbot", now=now, all_names=True, viewer_timezone="Asia/Tokyo"),
        )
    decided = _event(kind="event")
    yield "decided card", poll_texts.decided_card(decided, "skedjitbot")
    yield "decided card cancelled", poll_texts.decided_card(_event(cancelled_at=NOW), "skedjitbot")
    for status in (GOING, MAYBE, WAITING, None):
        yield f"decided dm {status}", poll_texts.decided_dm(decided, status, "skedjitbot")
    yield "dropped dm", poll_texts.dropped_dm(decided, "skedjitbot")
    yield "poll code", poll_texts.code_dm(decided, "7KQF-9XMP-3WTR")
    yield "poll usage", poll_texts.usage()
    yield "poll help", texts.help_text() + poll_texts.help_line()
    yield "poll guided", poll_texts.guided_options("Europe/Paris") + poll_texts.guided_option_taken(2, "<x>")
    yield "closed reply", poll_texts.closed_reply(decided, 3, 1, 2)
    yield "updated dropped", poll_texts.updated_dropped(1) + poll_texts.updated_dropped(5)
    yield "inline description", texts.esc(poll_texts.inline_description(3))
    yield "poll manage", poll_texts.manage_menu(decided)
    yield "my events with a poll", texts.my_events([_event(kind="poll"), _event()], "skedjitbot")
    for answer in (YES, IF_NEED_BE, NO):
        yield f"vote {answer}", texts.esc(poll_texts.vote_toast(START, "Europe/Paris", answer))
    for name in sorted(poll_texts._MARKED):
        value = getattr(poll_texts, name)
        values = value.values() if isinstance(value, dict) else value if isinstance(value, tuple) else [value]
        for text in values:
            yield f"poll {name}", _filled(text)
    for error in _poll_errors():
        yield f"poll {error!r}", poll_texts.describe(error)
        yield f"/poll {error!r}", poll_texts.poll_error(error)


def _poll(**changes: object) -> PollView:
    people = tuple(Attendee(n, f"Person <{n}>", n % 3) for n in range(1, 14))
    event = _event(kind="poll", poll_closes_at=START - timedelta(days=1), **changes)
    options = (
        OptionView(1, 1, START, None, yes=people[:3], maybe=people[3:5], no_count=2),
        OptionView(2, 2, START + timedelta(days=1), START + timedelta(days=1, hours=2), yes=people),
        OptionView(3, 3, START + timedelta(days=2), None),
    )
    return PollView(event, options)


def _poll_samples() -> list[tuple[str, PollView, datetime]]:
    """A poll open with votes, past its deadline (being decided), and cancelled."""
    return [
        ("open", _poll(), NOW),
        ("closing", _poll(), START - timedelta(hours=12)),
        ("cancelled", _poll(cancelled_at=NOW), NOW),
    ]


def _poll_errors() -> list[errors.DomainError]:
    params = {"least": 2, "limit": 10, "count": 11, "option": 2, "number": 4, "instant": START}
    params |= {"first": START, "closes": START + timedelta(hours=1), "timezone": "Europe/Paris"}
    invalid = [errors.InvalidField(field, reason, **params) for field, reason in poll_texts._FIELD_REASONS]
    simple = [errors.PollDecided(), errors.PollClosed(), errors.PollOptionGone(), errors.NotAPoll()]
    return [*invalid, *simple, errors.NotAllowed(), errors.InvalidField("when", "past", **params)]


class _Data:
    bot_username = "skedjitbot"


def _filled(text: str) -> str:
    names = {field for _, field, _, _ in string.Formatter().parse(text) if field}
    return text.format(**{name: "A &amp; B 3" for name in names})


def _errors() -> list[errors.DomainError]:
    simple = [
        cls()
        for cls in vars(errors).values()
        if isinstance(cls, type)
        and issubclass(cls, errors.DomainError)
        and cls not in (errors.DomainError, errors.InvalidField, errors.TooManyAttempts)
    ]
    params = {
        "text": "next <blue> moon",
        "example": datetime(2026, 12, 8, 19, 30),
        "day": date(2026, 12, 5),
        "instant": START,
        "start": START,
        "end": START - timedelta(hours=1),
        "closes": START + timedelta(hours=1),
        "after": START,
        "before": START + timedelta(days=7),
        "timezone": "Europe/Paris",
        "limit": 12,
        "length": 250,
        "codepoint": "U+0007",
        "longest_days": 60,
        "last_year": 2036,
        "wall": datetime(2027, 3, 28, 2, 30),
        "suggestion": datetime(2027, 3, 28, 3, 30),
    }
    invalid = [
        errors.InvalidField(field, reason, **params)
        for field, reason in [*texts._FIELD_REASONS, *(("title", reason) for reason in texts._REASONS)]
    ]
    unknown = errors.InvalidField("when", "something new", **params)
    return [*simple, errors.TooManyAttempts(retry_after_seconds=125), *invalid, unknown]


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_every_languages_poll_example_is_a_poll_the_bot_accepts_in_it(language):
    """The example a usage note shows must work when typed: its times and its deadline word."""
    with i18n.use(language):
        example = texts.plain(poll_texts.example())
        title, options, closes = parse_poll(example.split(" ", 1)[1])
        spans = polls.parse_options(options, "Europe/Paris", NOW, language=language)
        deadline = polls.parse_deadline(closes, spans, "Europe/Paris", NOW, language=language)
    assert title and len(spans) == 3 and deadline is not None
