"""Inline keyboards, deep-link payloads and callback data, with their decoder.

Callback data arrives from the client and may be forged or stale, so it is parsed as strictly as any
other input: a known action, then exactly the arguments that action takes, each checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import i18n, texts
from bot.wire import Button, CardMarkup
from core.codes import is_link_id
from core.events import GOING, MAYBE, NO, Field

# Deep-link payloads (t.me/<bot>?start=<payload>): A-Za-z0-9_- and at most 64 characters.
CLAIM_PREFIX = "c_"
MANAGE_PREFIX = "m_"
NEW_PAYLOAD = "new"
CALENDAR_PREFIX = "cal_"

# Callback data prefixes, each followed by ":"-separated arguments.
EDIT_PICK = "ep"
EDIT_FIELD = "ef"
DELETE_ASK = "da"
DELETE_YES = "dy"
DELETE_NO = "dn"
NEW_CODE = "nc"
WIZARD_CREATE = "wc"
WIZARD_CANCEL = "wx"
RSVP = "rv"
# One letter per answer keeps "rv:g:<link>" far inside the 64-byte limit.
RSVP_ANSWERS = {"g": GOING, "m": MAYBE, "n": NO}
GUEST = "gu"  # one more guest (then back to none)
CLOSED = "ac"  # a card whose answers are closed
SETTINGS = "st"  # who may create events in a group
SETTINGS_CHOICES = {"a": False, "o": True}  # anyone / admins only
ZONE = "tz"  # the chat's first event, after /timezone: same clock time, or same instant
ZONE_CHOICES = {"m": True, "k": False}
REPEAT = "rp"  # the guided flow's "Repeat?" step
REPEAT_KINDS = {"n": None, "w": "weekly", "b": "fortnightly", "m": "monthly"}
POLL_VOTE = "pv"  # a tap on one time of a poll: "pv:<option id>:<link>"
POLL_WIZARD_CREATE = "pwc"  # the guided /poll's preview: create it
POLL_WIZARD_CANCEL = "pwx"  # ... or drop it
_OPTION_ID_MAX_DIGITS = 12
LANGUAGE = "lg"  # /language: the chat's language, by its code

_FIELDS = {field.value: field for field in Field}


@dataclass(frozen=True, slots=True)
class Callback:
    action: str
    link_id: str | None = None
    field: Field | None = None
    answer: str | None = None
    choice: bool | None = None
    repeat: str | None = None
    option: int | None = None
    language: str | None = None


class BadCallback(ValueError):
    """Callback data that this bot did not make, or no longer understands."""


def decode_callback(data: str | None) -> Callback:
    if not data or len(data.encode()) > 64:
        raise BadCallback(data)
    action, *args = data.split(":")
    if action in (WIZARD_CREATE, WIZARD_CANCEL, POLL_WIZARD_CREATE, POLL_WIZARD_CANCEL) and not args:
        return Callback(action)
    if (
        action in (EDIT_PICK, DELETE_ASK, DELETE_YES, DELETE_NO, NEW_CODE, GUEST, CLOSED)
        and len(args) == 1
        and is_link_id(args[0])
    ):
        return Callback(action, link_id=args[0])
    if action == REPEAT and len(args) == 1 and args[0] in REPEAT_KINDS:
        return Callback(action, repeat=REPEAT_KINDS[args[0]])
    if action == LANGUAGE and len(args) == 1 and args[0] in i18n.LANGUAGES:
        return Callback(action, language=args[0])
    if action == SETTINGS and len(args) == 1 and args[0] in SETTINGS_CHOICES:
        return Callback(action, choice=SETTINGS_CHOICES[args[0]])
    if action == ZONE and len(args) == 2 and args[0] in ZONE_CHOICES and is_link_id(args[1]):
        return Callback(action, link_id=args[1], choice=ZONE_CHOICES[args[0]])
    if action == RSVP and len(args) == 2 and args[0] in RSVP_ANSWERS and is_link_id(args[1]):
        return Callback(action, link_id=args[1], answer=RSVP_ANSWERS[args[0]])
    if (
        action == POLL_VOTE
        and len(args) == 2
        and args[0].isascii()
        and args[0].isdigit()
        and len(args[0]) <= _OPTION_ID_MAX_DIGITS
        and not args[0].startswith("0")
        and is_link_id(args[1])
    ):
        return Callback(action, link_id=args[1], option=int(args[0]))
    if action == EDIT_FIELD and len(args) == 2 and args[0] in _FIELDS and is_link_id(args[1]):
        return Callback(action, link_id=args[1], field=_FIELDS[args[0]])
    raise BadCallback(data)


def _data(*parts: str) -> str:
    return ":".join(parts)


def card_keyboard(
    bot_username: str, link_id: str, *, cancelled: bool = False, closed: bool = False, guests: bool = False
) -> InlineKeyboardMarkup:
    """Answer buttons (or a note that answers are closed), then links into the private chat: the
    calendar file and management; labels in the current language."""
    return _card_keyboard(bot_username, link_id, cancelled, closed, guests, i18n.current())


# Keyboards are immutable in python-telegram-bot, and building one costs more than the rest of a card.
@lru_cache(maxsize=4096)
def _card_keyboard(
    bot_username: str, link_id: str, cancelled: bool, closed: bool, guests: bool, language: str
) -> InlineKeyboardMarkup:
    calendar = Button(texts.CALENDAR_BUTTON, url=texts.deep_link(bot_username, CALENDAR_PREFIX + link_id))
    if cancelled:
        # Still offered: importing it marks the event cancelled in the calendar it was added to.
        return CardMarkup([[calendar]])
    manage = Button(texts.MANAGE_BUTTON, url=texts.deep_link(bot_username, MANAGE_PREFIX + link_id))
    if closed:
        note = Button(texts.CLOSED_BUTTON, callback_data=_data(CLOSED, link_id))
        return CardMarkup([[note], [calendar, manage]])
    answers = [
        Button(label, callback_data=_data(RSVP, letter, link_id))
        for letter, label in (("g", texts.GOING_BUTTON), ("m", texts.MAYBE_BUTTON), ("n", texts.NO_BUTTON))
    ]
    rows = [answers]
    if guests:
        rows.append([Button(texts.GUEST_BUTTON, callback_data=_data(GUEST, link_id))])
    return CardMarkup([*rows, [calendar, manage]])


def settings_menu(admins_only: bool) -> InlineKeyboardMarkup:
    choices = [(False, texts.SETTINGS_ANYONE), (True, texts.SETTINGS_ADMINS)]
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("● " if admins_only == value else "") + label,
                    callback_data=_data(SETTINGS, "o" if value else "a"),
                )
                for value, label in choices
            ]
        ]
    )


def language_menu(current: str) -> InlineKeyboardMarkup:
    """One button per language, each in its own name; the chat's own marked."""
    buttons = [
        InlineKeyboardButton(("● " if code == current else "") + name, callback_data=_data(LANGUAGE, code))
        for code, name in i18n.LANGUAGES.items()
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def repeat_choice() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(label, callback_data=_data(REPEAT, key))
        for key, label in texts.REPEAT_CHOICES.items()
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def zone_choice(link_id: str, same_clock: str, same_instant: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(same_clock, callback_data=_data(ZONE, "m", link_id))],
            [InlineKeyboardButton(same_instant, callback_data=_data(ZONE, "k", link_id))],
        ]
    )


def open_private(bot_username: str, payload: str, label: str | None = None) -> InlineKeyboardMarkup:
    label = label or texts.OPEN_PRIVATE_BUTTON
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=texts.deep_link(bot_username, payload))]])


def add_to_group(bot_username: str) -> InlineKeyboardMarkup:
    url = f"https://t.me/{bot_username}?startgroup=start"
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.ADD_TO_GROUP_BUTTON, url=url)]])


def manage_menu(link_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.EDIT_BUTTON, callback_data=_data(EDIT_PICK, link_id)),
                InlineKeyboardButton(texts.DELETE_BUTTON, callback_data=_data(DELETE_ASK, link_id)),
            ],
            [InlineKeyboardButton(texts.NEW_CODE_BUTTON, callback_data=_data(NEW_CODE, link_id))],
        ]
    )


# What the Edit button changes on a poll: its times change with /editpoll (the menu above says how).
POLL_FIELDS = (Field.TITLE,)


def pick_field(link_id: str, *, poll: bool = False) -> InlineKeyboardMarkup:
    """A button per field the person may change: every field of an event; a poll's title only."""
    labels = texts.FIELD_LABELS
    buttons = [
        InlineKeyboardButton(labels[field], callback_data=_data(EDIT_FIELD, field.value, link_id))
        for field in (POLL_FIELDS if poll else Field)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def confirm_delete(link_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.DELETE_YES, callback_data=_data(DELETE_YES, link_id)),
                InlineKeyboardButton(texts.DELETE_NO, callback_data=_data(DELETE_NO, link_id)),
            ]
        ]
    )


def wizard_confirm() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.WIZARD_CREATE, callback_data=WIZARD_CREATE),
                InlineKeyboardButton(texts.WIZARD_CANCEL, callback_data=WIZARD_CANCEL),
            ]
        ]
    )


def poll_keyboard(
    bot_username: str, link_id: str, options: tuple[tuple[int, str], ...], *, voting: bool = True
) -> InlineKeyboardMarkup:
    """One button per time of a poll (``options``: id and label), then management in the private chat;
    labels in the current language."""
    return _poll_keyboard(bot_username, link_id, options, voting, i18n.current())


@lru_cache(maxsize=4096)
def _poll_keyboard(
    bot_username: str, link_id: str, options: tuple[tuple[int, str], ...], voting: bool, language: str
) -> InlineKeyboardMarkup:
    manage = Button(texts.MANAGE_BUTTON, url=texts.deep_link(bot_username, MANAGE_PREFIX + link_id))
    rows = (
        [
            [Button(label, callback_data=_data(POLL_VOTE, str(option_id), link_id))]
            for option_id, label in options
        ]
        if voting
        else []
    )
    return CardMarkup([*rows, [manage]])


def poll_wizard_confirm() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.WIZARD_CREATE, callback_data=POLL_WIZARD_CREATE),
                InlineKeyboardButton(texts.WIZARD_CANCEL, callback_data=POLL_WIZARD_CANCEL),
            ]
        ]
    )
