"""What the bot sends most, with its JSON written directly instead of by python-telegram-bot's reflection.

PTB turns an object into JSON by walking every slot of its class hierarchy: generic and correct, and
on a card view a quarter of the bot's own CPU (bench/README.md). The two objects every card carries
are written by hand here; tests check each gives exactly PTB's own JSON object.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

# The fields a card's buttons use; any other field set sends a keyboard the generic way.
_PLAIN_FIELDS = ("text", "url", "callback_data")
_OTHER_FIELDS = tuple(
    name
    for cls in InlineKeyboardButton.__mro__[:-1]
    for name in getattr(cls, "__slots__", ())
    if not name.startswith("_") and name not in _PLAIN_FIELDS and name != "api_kwargs"
)


class CardMarkup(InlineKeyboardMarkup):
    """An inline keyboard whose JSON is written once, when it is made.

    python-telegram-bot's ``to_dict`` reflects over every slot of every button: 46 µs for a card's five
    buttons, a third of the cost of sending the card, paid on every view and every card edit. The
    keyboard is immutable, so its JSON object is worked out once here (cached keyboards reuse it). A
    button that carries anything but a text and a url or callback data goes the generic way. Tests check
    both give the same JSON object.
    """

    __slots__ = ("_wire",)

    def __init__(self, inline_keyboard: Any, **kwargs: Any) -> None:
        super().__init__(inline_keyboard, **kwargs)
        self._wire = _plain_keyboard(self.inline_keyboard)

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        # Shared, not copied: PTB only serialises what it gets, and this is read-only by contract.
        return self._wire if self._wire is not None else super().to_dict(recursive)


def _plain_keyboard(rows: Any) -> dict[str, Any] | None:
    wire_rows = []
    for row in rows:
        wire_row = []
        for button in row:
            if button.api_kwargs or any(getattr(button, name) is not None for name in _OTHER_FIELDS):
                return None
            wire: dict[str, Any] = {"text": button.text}
            if button.url is not None:
                wire["url"] = button.url
            if button.callback_data is not None:
                wire["callback_data"] = button.callback_data
            wire_row.append(wire)
        wire_rows.append(wire_row)
    return {"inline_keyboard": wire_rows}


class _NoPreview(LinkPreviewOptions):
    __slots__ = ()

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        return {"is_disabled": True}


# Cards and replies carry t.me links; Telegram would preview the first one under the text.
NO_PREVIEW: LinkPreviewOptions = _NoPreview(is_disabled=True)
