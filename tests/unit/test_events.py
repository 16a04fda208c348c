import pytest

from bot.texts import _names, describe_error
from core.errors import InvalidField
from core.events import NAME_MAX, clean_description, clean_location, clean_name, clean_title


def refusal(call) -> str:
    """The sentence a person is shown when ``call`` refuses what they typed."""
    with pytest.raises(InvalidField) as info:
        call()
    return describe_error(info.value)


def test_titles_are_trimmed_and_inner_whitespace_collapsed():
    assert clean_title("  Pizza   night ") == "Pizza night"


@pytest.mark.parametrize("title", ["", "   ", None])
def test_an_empty_title_is_refused(title):
    assert "Title: it can't be empty" in refusal(lambda: clean_title(title))


def test_title_length_limits_are_200_characters_after_trimming():
    assert clean_title(" " + "x" * 200 + " ") == "x" * 200
    assert "limit is 200" in refusal(lambda: clean_title("x" * 201))


@pytest.mark.parametrize("text", ["Pizza\x00night", "Pizza\x1bnight", "Pizza\u202enight", "a\nb"])
def test_control_characters_in_a_title_are_refused(text):
    with pytest.raises(InvalidField) as info:
        clean_title(text)
    assert info.value.field == "title"


def test_a_description_keeps_its_line_breaks_but_not_nul_bytes():
    assert clean_description("Bring\r\nsnacks\n\tand drinks ") == "Bring\nsnacks\n\tand drinks"
    assert "NUL" in refusal(lambda: clean_description("Bring\x00snacks"))


def test_description_and_location_are_optional_and_bounded():
    assert clean_description("  ") is None
    assert clean_location(None) is None
    assert clean_description("d" * 2000) == "d" * 2000
    assert "limit is 2000" in refusal(lambda: clean_description("d" * 2001))
    assert "limit is 200" in refusal(lambda: clean_location("l" * 201))


def test_html_and_emoji_are_kept_as_plain_text():
    assert clean_title("<b>Party</b> 🎉👨‍👩‍👧") == "<b>Party</b> 🎉👨‍👩‍👧"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Eve\u202eevil", "Eveevil"),  # right-to-left override
        ("\u2067Eve\u2069 \u200fMallory\u200e", "Eve Mallory"),  # isolates and marks
        ("Ali\u061c Baba\u202a", "Ali Baba"),
        ("Bob\x00\x1b[31m", "Bob[31m"),
        ("Zoe\u200b\ufeff", "Zoe"),
        ("  Ann\n\t Lee  ", "Ann Lee"),
    ],
)
def test_control_and_bidi_characters_are_dropped_from_names(name, shown):
    assert clean_name(name) == shown


def test_names_keep_the_joiners_emoji_are_made_of():
    family, heart = "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u2764\ufe0f"
    assert clean_name(f"Sam {family} {heart}") == f"Sam {family} {heart}"


@pytest.mark.parametrize("name", ["", "   ", "\u202e", "\u2066\u2069\u200e"])
def test_a_name_left_empty_is_empty_and_cards_call_it_someone(name):
    assert clean_name(name) == ""
    assert _names([clean_name(name)]) == "Someone"


def test_a_long_name_is_cut_without_a_trailing_space():
    assert clean_name("x" * (NAME_MAX - 1) + " yz") == "x" * (NAME_MAX - 1)
