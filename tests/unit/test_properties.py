"""Arbitrary text never crashes the parsers: it parses, or is refused with a domain error."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import keyboards
from bot.handlers.common import extract_link
from bot.handlers.create import parse_newevent
from bot.handlers.manage import _split_link_and_code
from core import codes, dates
from core.errors import InvalidField

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ZONES = st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"])
# Text that looks like what people type (words, digits, separators) as well as anything at all.
WORDS = st.lists(
    st.sampled_from(
        [
            "tomorrow",
            "next",
            "fri",
            "at",
            "7pm",
            "12",
            "am",
            "pm",
            "19:30",
            "in",
            "3",
            "days",
            "noon",
            "dec",
            "5",
            "2026-12-05",
            "|",
            "-",
            "/",
            ":",
            "week",
            "midnight",
            "31.02.2027",
            "25:61",
        ]
    ),
    max_size=8,
).map(" ".join)
ANY_TEXT = st.one_of(st.text(max_size=120), WORDS)


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT, zone=ZONES)
def test_the_date_parser_returns_a_future_instant_or_refuses(text, zone):
    try:
        parsed = dates.parse_when(text, zone, now=NOW)
    except InvalidField as exc:
        assert exc.field == "when" and exc.reason
    else:
        assert parsed.starts_at.tzinfo is not None and parsed.starts_at > NOW
        assert parsed.ends_at is None or parsed.ends_at > parsed.starts_at


@settings(max_examples=300)
@given(data=st.one_of(st.text(max_size=80), st.binary(max_size=70).map(lambda b: b.decode("latin-1"))))
def test_the_callback_decoder_accepts_only_what_the_bot_makes(data):
    try:
        callback = keyboards.decode_callback(data)
    except keyboards.BadCallback:
        return
    assert callback.action in {
        keyboards.EDIT_PICK,
        keyboards.EDIT_FIELD,
        keyboards.DELETE_ASK,
        keyboards.DELETE_YES,
        keyboards.DELETE_NO,
        keyboards.NEW_CODE,
        keyboards.WIZARD_CREATE,
        keyboards.WIZARD_CANCEL,
        keyboards.RSVP,
    }
    assert callback.link_id is None or codes.is_link_id(callback.link_id)


@settings(max_examples=300)
@given(text=ANY_TEXT)
def test_the_command_parsers_never_crash(text):
    try:
        when, title, place, details = parse_newevent(text)
        assert place is None or "|" not in place
        assert when and title and (details is None or details.strip())
    except InvalidField as exc:
        assert exc.field in {"when", "title"}
    link, code, rest = _split_link_and_code(text)
    assert link is None or codes.is_link_id(link)
    assert code is None or codes.normalise_code(code) == code
    assert isinstance(rest, str)
    found = extract_link(text)
    assert found is None or codes.is_link_id(found)
    assert (
        codes.find_secret_code(text) is None or len(codes.find_secret_code(text) or "") == codes.CODE_LENGTH
    )


CODE_PIECES = st.lists(
    st.sampled_from(
        ["7KQF", "9xmp", "3WTR", "K0QF", "abcd", "2025", "-", " ", "\u00a0", "\u2013", "  ", "x", "1"]
    ),
    max_size=10,
).map("".join)


@settings(max_examples=500)
@given(text=st.one_of(ANY_TEXT, CODE_PIECES))
def test_what_a_private_chat_accepts_as_a_code_is_exactly_what_a_group_refuses(text):
    code = codes.normalise_code(text)
    assert code is None or codes.find_secret_code(text) == code


@settings(max_examples=500)
@example(args="Ab3dE5gH9k abc 7KQF9XMP3WTRzz def title Hijacked")
@given(args=st.builds("Ab3dE5gH9k {} {}".format, CODE_PIECES, st.one_of(ANY_TEXT, CODE_PIECES)))
def test_a_command_uses_no_code_the_group_guard_would_let_through(args):
    _, code, _ = _split_link_and_code(args)
    assert code is None or codes.find_secret_code(f"/editevent {args}") == code
