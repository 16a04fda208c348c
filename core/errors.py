"""Domain errors. Each carries a message that is safe to show to a user as it is."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user may see. ``message`` is plain text, not yet HTML-escaped."""

    message: str = "Something about that request isn't right."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class EventNotFound(DomainError):
    message = "There is no such event. Check the link, or the event may have been deleted."


class WrongSecretCode(DomainError):
    message = "That secret code doesn't match this event."


class NotAllowed(DomainError):
    message = "Only the event's creator, or someone with its secret code, can do that."


class TooManyAttempts(DomainError):
    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(
            f"Too many wrong codes for this event. Try again in {_human_seconds(retry_after_seconds)}."
        )


class InvalidField(DomainError):
    """A value the user gave is unusable. ``field`` names it ("title", "when", ...)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field.capitalize()}: {reason}")


class ClaimNotFound(DomainError):
    message = "This link to collect a secret code has expired or was already used."


class DatabaseUnavailable(DomainError):
    message = "I can't reach my database right now. Please try again in a minute."


def _human_seconds(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
