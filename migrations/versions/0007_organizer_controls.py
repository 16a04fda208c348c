"""Organizer controls: answer deadlines, guests, hidden lists, who may create, the first zone hint.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Events whose answers already closed (their deadline, or their start, has passed) are marked so: their
cards were never meant to change at that moment, and marking them spares a burst of edits on deploy.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answers_close_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("answers_closed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("max_guests", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("hide_names", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guests", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("chat_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("creators", sa.String(length=8), server_default="anyone", nullable=False)
        )
        batch_op.add_column(sa.Column("first_event_link", sa.String(length=16), nullable=True))
    events = sa.table(
        "events",
        sa.column("starts_at", sa.DateTime(timezone=True)),
        sa.column("answers_closed", sa.Boolean()),
    )
    op.execute(
        events.update().where(events.c.starts_at <= sa.func.current_timestamp()).values(answers_closed=True)
    )
    op.create_index("ix_events_answers_open", "events", ["answers_closed", "starts_at"], unique=False)
    op.create_index(
        "ix_events_answers_deadline", "events", ["answers_closed", "answers_close_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_events_answers_deadline", table_name="events")
    op.drop_index("ix_events_answers_open", table_name="events")
    with op.batch_alter_table("chat_settings", schema=None) as batch_op:
        batch_op.drop_column("first_event_link")
        batch_op.drop_column("creators")
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_column("guests")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("hide_names")
        batch_op.drop_column("max_guests")
        batch_op.drop_column("answers_closed")
        batch_op.drop_column("answers_close_at")
