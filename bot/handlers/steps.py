"""The steps of the guided flows in private chats: the names a flow's state is saved under."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    NEW_TITLE = "new_title"
    NEW_WHEN = "new_when"
    NEW_REPEAT = "new_repeat"  # answered with a button
    NEW_DETAILS = "new_details"
    NEW_CONFIRM = "new_confirm"  # answered with a button
    CODE = "unlock"  # a secret code; then what the flow's "then" says
    EDIT_VALUE = "edit_value"
    POLL_TITLE = "poll_title"
    POLL_OPTIONS = "poll_options"
    POLL_DEADLINE = "poll_deadline"
    POLL_CONFIRM = "poll_confirm"  # answered with a button


class Then(StrEnum):
    """What a person who asked to manage an event sees once they may."""

    MENU = "manage"
    EDIT = "edit"
    DELETE = "delete"
    NEW_CODE = "newcode"
