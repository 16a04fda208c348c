"""The database schema. Migrations in ``migrations/`` create it; these classes map it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.clock import utcnow

# Stable constraint names, identical on PostgreSQL and SQLite, so migrations can name what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on both databases (SQLite would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    creator_user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    code_hash: Mapped[str] = mapped_column(String(60))
    # Bumped whenever the secret code is replaced: unlocks and claim links made for an older code stop
    # working at once, however long they had left.
    code_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bumped on every change: it is the iCalendar SEQUENCE, and SQLAlchemy's optimistic lock, so two
    # edits racing on one event can't silently overwrite each other.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Where the request to create it came from ("chat:message"); unique, so a repeated update
    # (a webhook retry, or polling after a crash) finds the event instead of making a second one.
    origin: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Until when the process that created (or is re-posting) the event has the sole right to post its
    # first card; a repeated update waits for it rather than posting a second card.
    publishing_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Minutes before the start, comma-separated ("1440,60"); empty means no reminders.
    reminder_minutes: Mapped[str] = mapped_column(String(64), default="1440,60", server_default="1440,60")
    # Bumped by every change a card shows (an edit, a cancellation, an answer). Each posted card records
    # the version it shows, so any process can tell which copies are out of date.
    card_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When answers close; None: when the event starts. ``answers_closed`` is set once the cards say so.
    answers_close_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answers_closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Guests each person going may bring (0: none), and whether group cards show names or counts only.
    max_guests: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hide_names: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A recurring series: its RFC 5545 rule, its first start, the rule's start of the date the card
    # shows now (``starts_at`` differs when that date was moved), the dates skipped (ISO, by ","), and
    # dates to come that were moved ("rule start=new start", by ",").
    recurrence: Mapped[str | None] = mapped_column(String(200))
    series_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    occurrence_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    skipped_dates: Mapped[str] = mapped_column(Text, default="", server_default="")
    moved_dates: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The dates a series' card lists after the one it shows, packed with the key of the columns they were
    # worked out from (``recurrence.pack_coming``); a view uses them only while that key still matches.
    coming_dates: Mapped[str] = mapped_column(Text, default="", server_default="")
    # "poll": a time poll (core/polls.py), its options in poll_options, until it is decided and becomes
    # an "event" at the chosen option's time. ``poll_closes_at``: its deadline (None: its earliest option).
    kind: Mapped[str] = mapped_column(String(8), default="event", server_default="event")
    poll_closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    cards: Mapped[list[PostedCard]] = relationship(back_populates="event", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_events_answers_open", "answers_closed", "starts_at"),
        Index("ix_events_answers_deadline", "answers_closed", "answers_close_at"),
        Index("ix_events_series_due", "recurrence", "starts_at"),
        Index("ix_events_poll_due", "kind", "poll_closes_at"),
    )
    __mapper_args__ = {"version_id_col": sequence}


class PostedCard(Base):
    """A message showing an event's card, kept so edits and cancellations can update it."""

    __tablename__ = "posted_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    inline_message_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The event's card_version this message shows, and how many edits of it failed in a row.
    shown_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A poll's card, posted before the poll was decided: it goes on showing the decision, not the event.
    shows_poll: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A card sent inline, whose chat the bot never learns: the language it was sent in (the sharer's).
    language: Mapped[str | None] = mapped_column(String(16))

    event: Mapped[Event] = relationship(back_populates="cards")

    __table_args__ = (Index("uq_posted_cards_chat_message", "chat_id", "message_id", unique=True),)


class CodeClaim(Base):
    """A one-time deep link that hands a fresh secret code to the creator's own account."""

    __tablename__ = "code_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the claim token: the token itself is a credential and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The event's code_version when the claim was made; a newer code ends the claim.
    code_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Unlock(Base):
    """A person who typed an event's secret code in their private chat, and may manage it there until
    ``expires_at``. Fixed when made: using it does not extend it, and a new code ends it."""

    __tablename__ = "unlocks"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    code_version: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChatSettings(Base):
    """Per-chat (or, for private chats, per-user) preferences."""

    __tablename__ = "chat_settings"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # Who may create events in a group: "anyone" or "admins".
    creators: Mapped[str] = mapped_column(String(8), default="anyone", server_default="anyone")
    # The first event made here before anyone chose a timezone: its card said which zone it used.
    first_event_link: Mapped[str | None] = mapped_column(String(16))
    # The language chosen with /language (a group's admins; a person for their private chat), and when:
    # every bot process keeps all choices in memory and reads the new ones since its last look.
    language: Mapped[str | None] = mapped_column(String(16))
    language_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A private chat: its person's Telegram language as last seen, for messages sent to them unasked.
    seen_language: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (Index("ix_chat_settings_language_at", "language_at"),)


class CodeAttempt(Base):
    """Wrong secret codes tried against one event by one user (0 for unknown), to slow guessing down."""

    __tablename__ = "code_attempts"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Conversation(Base):
    """Where a person is in a guided private-chat flow, kept here so any bot process can continue it."""

    __tablename__ = "conversations"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Rsvp(Base):
    """One person's answer to one event. ``responded_at`` orders the going list and the waitlist."""

    __tablename__ = "rsvps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(8))
    responded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    guests: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("uq_rsvps_event_user", "event_id", "user_id", unique=True),
        Index("ix_rsvps_event_status", "event_id", "status", "responded_at"),
    )


class PastAnswer(Base):
    """An answer to a date of a series that has gone by: the history of that date."""

    __tablename__ = "past_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(UtcDateTime)
    user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(8))
    guests: Mapped[int] = mapped_column(Integer, default=0)
    responded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_past_answers_event_occurrence", "event_id", "occurrence_start"),)


class Reminder(Base):
    """A reminder due before an event starts. Claimed by one bot process at a time (a lease)."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    minutes_before: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # pending → sending (leased until lease_until) → sent, or dropped when the event began or was cancelled.
    state: Mapped[str] = mapped_column(String(8), default="pending")
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_reminders_state_due", "state", "due_at"),)


class ReminderDelivery(Base):
    """One recipient of one reminder, written before the message goes out, so a retry never repeats it."""

    __tablename__ = "reminder_deliveries"

    reminder_id: Mapped[int] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class CardSync(Base):
    """An event whose posted cards may be out of date: work any bot process can claim.

    Made by the change itself, in its own transaction, so a restart, an outage or a second process loses
    nothing. A process claims it with a lease, edits the cards, and keeps it until ``due_at`` (the least
    time between two edits of one card) to fold later changes into one more edit.
    """

    __tablename__ = "card_syncs"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped by every change after the row was made, so a process done with the cards it read never
    # deletes the row from under a change it did not see.
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (Index("ix_card_syncs_due_at", "due_at"),)


class SendBudget(Base):
    """Telegram's per-group flood limit, shared by every bot process: the time (seconds since the epoch)
    from which the group's budget is whole again (the "theoretical arrival time" of GCRA)."""

    __tablename__ = "send_budgets"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    full_at: Mapped[float] = mapped_column(Float)


class BotProcess(Base):
    """A running bot process, seen recently: how many share the overall sending budget."""

    __tablename__ = "bot_processes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PollOption(Base):
    """One time a poll offers. Kept after the poll is decided, as its history."""

    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set on the option the poll was decided for.
    chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PollVote(Base):
    """One person's answer to one option of a poll: "yes", "maybe" (if need be) or "no"."""

    __tablename__ = "poll_votes"

    option_id: Mapped[int] = mapped_column(
        ForeignKey("poll_options.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(128))
    answer: Mapped[str] = mapped_column(String(8))
    voted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The tap (Telegram's callback query id) that set ``answer``: the same tap delivered again (a
    # webhook retry, polling after a crash) finds it here and moves nothing on a second time.
    tap_id: Mapped[str | None] = mapped_column(String(64))


class Notice(Base):
    """A message owed after a poll was decided: a private message to a voter ("dm") or the event's card
    in a chat where the poll was posted ("card"). Claimed with a lease; marked sent before it goes, so a
    crash loses at most one and never repeats it."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # pending → sending (leased until lease_until) → sent
    state: Mapped[str] = mapped_column(String(8), default="pending")
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index("ix_notices_state", "state", "lease_until"),)
