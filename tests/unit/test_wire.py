"""What the bot writes as JSON itself (bot/wire.py) must be exactly what python-telegram-bot would send."""

from __future__ import annotations

import json

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.keyboards import card_keyboard
from bot.wire import NO_PREVIEW, CardMarkup


def _generic(markup: InlineKeyboardMarkup) -> dict:
    return InlineKeyboardMarkup(markup.inline_keyboard).to_dict()


@pytest.mark.parametrize("cancelled", [False, True])
def test_a_card_keyboard_sends_the_same_json_as_the_generic_one(cancelled: bool):
    markup = card_keyboard("skedjit_bot", "Ab3Cd4Ef5G", cancelled=cancelled)

    assert isinstance(markup, CardMarkup)
    assert markup.to_dict() == _generic(markup)  # the same JSON object (key order aside)
    assert "Ab3Cd4Ef5G" in json.dumps(markup.to_dict())


def test_a_button_with_any_other_field_is_sent_the_generic_way():
    markup = CardMarkup(
        [
            [InlineKeyboardButton("Going", callback_data="r:g:Ab3Cd4Ef5G")],
            [InlineKeyboardButton("Share", switch_inline_query="Ab3Cd4Ef5G")],
        ]
    )

    sent = markup.to_dict()

    assert sent == _generic(markup)
    assert sent["inline_keyboard"][1][0]["switch_inline_query"] == "Ab3Cd4Ef5G"


def test_no_preview_sends_what_ptb_sends_for_a_disabled_preview():
    assert NO_PREVIEW.to_dict() == LinkPreviewOptions(is_disabled=True).to_dict() == {"is_disabled": True}
    assert NO_PREVIEW.is_disabled is True
