"""Recurring series: a rule on the event, the date its card shows, skipped and moved dates, past answers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recurrence", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("series_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("occurrence_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("skipped_dates", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("moved_dates", sa.Text(), server_default="", nullable=False))
    op.create_index("ix_events_series_due", "events", ["recurrence", "starts_at"], unique=False)
    op.create_table(
        "past_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_past_answers_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_past_answers")),
    )
    op.create_index(
        "ix_past_answers_event_occurrence", "past_answers", ["event_id", "occurrence_start"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_past_answers_event_occurrence", table_name="past_answers")
    op.drop_table("past_answers")
    op.drop_index("ix_events_series_due", table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("moved_dates")
        batch_op.drop_column("skipped_dates")
        batch_op.drop_column("occurrence_start")
        batch_op.drop_column("series_start")
        batch_op.drop_column("recurrence")
