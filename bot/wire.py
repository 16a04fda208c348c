"""What the bot sends most, with its JSON written directly instead of by python-telegram-bot's reflection.

PTB turns an object into JSON by walking every slot of its class hierarchy: generic and correct, and
on a card view a quarter of the bot's own CPU (bench/README.md). The two objects every card carries
are written by hand here; tests check each gives exactly PTB's own JSON object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, TelegramObject

# The fields a card's buttons use; any other field set sends a keyboard the generic way.
_PLAIN_FIELDS = ("text", "url", "callback_data")
_OTHER_FIELDS = tuple(
    name
    for cls in InlineKeyboardButton.__mro__[:-1]
    for name in getattr(cls, "__slots__", ())
    if not name.startswith("_") and name not in _PLAIN_FIELDS and name != "api_kwargs"
)


class Button(NamedTuple):
    """A card's button as plain data: a text and a url or callback data (all a card's buttons carry)."""

    text: str
    url: str | None = None
    callback_data: str | None = None

    def wire(self) -> dict[str, str]:
        sent = {"text": self.text}
        if self.url is not None:
            sent["url"] = self.url
        if self.callback_data is not None:
            sent["callback_data"] = self.callback_data
        return sent

    def button(self) -> InlineKeyboardButton:
        return InlineKeyboardButton(self.text, url=self.url, callback_data=self.callback_data)


class CardMarkup(InlineKeyboardMarkup):
    """An inline keyboard whose JSON is written once, when it is made.

    python-telegram-bot's ``to_dict`` reflects over every slot of every button (46 µs for a card's five
    buttons), and making the five buttons costs about as much again: together a tenth of a card view
    that misses the keyboard cache, paid on every view and card edit. Made from ``Button`` rows, the
    keyboard writes its JSON object straight from them, and python-telegram-bot's buttons are made only
    if something reads ``inline_keyboard``. Rows of real buttons go the generic way when any carries
    more than a text and a url or callback data. Tests check both give PTB's own JSON object.
    """

    __slots__ = ("_rows", "_wire")

    def __init__(self, inline_keyboard: Sequence[Sequence[Button | InlineKeyboardButton]]) -> None:
        rows = tuple(tuple(row) for row in inline_keyboard)
        if all(isinstance(button, Button) for row in rows for button in row):
            # The parent's __init__ would make every button; TelegramObject's sets what the rest needs.
            TelegramObject.__init__(self)
            self._rows: tuple[tuple[Button, ...], ...] | None = rows  # type: ignore[assignment]
            self._wire: dict[str, Any] | None = {
                "inline_keyboard": [[button.wire() for button in row] for row in rows]  # type: ignore[union-attr]
            }
            self._id_attrs = (rows,)
            self._freeze()
            return
        self._rows = None
        super().__init__([[b.button() if isinstance(b, Button) else b for b in row] for row in rows])
        self._wire = _plain_keyboard(self.inline_keyboard)

    @property  # type: ignore[override]
    def inline_keyboard(self) -> tuple[tuple[InlineKeyboardButton, ...], ...]:
        if self._rows is None:
            return _SLOT.__get__(self)  # type: ignore[no-any-return]
        return tuple(tuple(button.button() for button in row) for row in self._rows)

    @inline_keyboard.setter
    def inline_keyboard(self, value: tuple[tuple[InlineKeyboardButton, ...], ...]) -> None:
        _SLOT.__set__(self, value)  # the parent's __init__, on the generic way

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        # Shared, not copied: PTB only serialises what it gets, and this is read-only by contract.
        return self._wire if self._wire is not None else super().to_dict(recursive)


_SLOT = InlineKeyboardMarkup.__dict__["inline_keyboard"]


def _plain_keyboard(rows: Any) -> dict[str, Any] | None:
    wire_rows = []
    for row in rows:
        wire_row = []
        for button in row:
            if button.api_kwargs or any(getattr(button, name) is not None for name in _OTHER_FIELDS):
                return None
            wire_row.append(Button(button.text, button.url, button.callback_data).wire())
        wire_rows.append(wire_row)
    return {"inline_keyboard": wire_rows}


class _NoPreview(LinkPreviewOptions):
    __slots__ = ()

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        return {"is_disabled": True}


# Cards and replies carry t.me links; Telegram would preview the first one under the text.
NO_PREVIEW: LinkPreviewOptions = _NoPreview(is_disabled=True)
