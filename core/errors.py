"""Domain errors: what went wrong, as a code and its parameters. No words: ``bot/`` turns each into a
sentence in the reader's language (``bot.texts.describe_error``).

A ``DomainError`` is something a user may be told. The ``Conflict`` family are storage outcomes a
service handles itself (a duplicate key, a row changed underneath); they never reach a user as such.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user may see: ``code`` names it, ``params`` fill in its sentence."""

    code = "error"

    def __init__(self, **params: object) -> None:
        self.params = params
        super().__init__(self.code, params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"


class EventNotFound(DomainError):
    code = "event_not_found"


class EventCancelled(DomainError):
    """The event was cancelled, so it can't be changed or answered any more."""

    code = "event_cancelled"


class EventStarted(DomainError):
    """The event has begun: answers are closed."""

    code = "event_started"


class AnswersClosed(DomainError):
    """The organiser's deadline for answers has passed."""

    code = "answers_closed"


class GuestsNotAllowed(DomainError):
    code = "guests_not_allowed"


class AnswerFirst(DomainError):
    """Only someone going (or waiting) can bring guests."""

    code = "answer_first"


class NoSeatForGuest(DomainError):
    code = "no_seat_for_guest"


class NotASeries(DomainError):
    """Asked to skip a date of an event that does not repeat."""

    code = "not_a_series"


class WrongSecretCode(DomainError):
    code = "wrong_code"


class NotAllowed(DomainError):
    """Neither the creator's account nor an unlock with the current secret code."""

    code = "not_allowed"


class NoIdentity(DomainError):
    """The message has no person behind it (an anonymous admin, a channel, a linked-channel forward)."""

    code = "no_identity"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(seconds=retry_after_seconds)


class InvalidField(DomainError):
    """A value a person gave is unusable: ``field`` names it ("title", "when", ...), ``reason`` why.

    ``params`` carry what the sentence needs (a length, a limit, an example instant), as values.
    """

    code = "invalid_field"

    def __init__(self, field: str, reason: str, **params: object) -> None:
        self.field = field
        self.reason = reason
        super().__init__(**params)

    def __repr__(self) -> str:
        return f"InvalidField({self.field!r}, {self.reason!r}, {self.params!r})"


class NothingToChange(DomainError):
    code = "nothing_to_change"


class ConcurrentChange(DomainError):
    """Someone else changed the same thing at the same moment; trying again will work."""

    code = "concurrent_change"


class ClaimNotFound(DomainError):
    """A link to collect a secret code that expired, was used, or was ended by a new code."""

    code = "claim_not_found"


class ClaimNotYours(DomainError):
    code = "claim_not_yours"


class FlowExpired(DomainError):
    """A guided step (a preview, a pending question) is gone: it expired or was already answered."""

    code = "flow_expired"


class PollDecided(DomainError):
    """The poll was decided (it is an event now), or the link is an event's, not a poll's."""

    code = "poll_decided"


class PollClosed(DomainError):
    """The poll's deadline passed: it is being decided."""

    code = "poll_closed"


class PollOptionGone(DomainError):
    """The time tapped is no longer one of the poll's options (the poll was edited)."""

    code = "poll_option_gone"


class NotAPoll(DomainError):
    code = "not_a_poll"


class DatabaseUnavailable(DomainError):
    code = "database_unavailable"


class Conflict(Exception):
    """A storage outcome the service decides about; never shown to a user as it is."""


class DuplicateLink(Conflict):
    """The random link id is taken: draw another."""


class DuplicateOrigin(Conflict):
    """The request that creates this event was handled already (a repeated update)."""


class StaleRow(Conflict):
    """The row changed between reading and writing it."""
