"""Time polls: an event of kind "poll" with options and votes, until it is decided; notices owed after.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=8), server_default="event", nullable=False))
        batch_op.add_column(sa.Column("poll_closes_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_events_poll_due", "events", ["kind", "poll_closes_at"], unique=False)
    with op.batch_alter_table("posted_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shows_poll", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "poll_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chosen", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_poll_options_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_options")),
    )
    op.create_index(op.f("ix_poll_options_event_id"), "poll_options", ["event_id"], unique=False)
    op.create_table(
        "poll_votes",
        sa.Column("option_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tap_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["poll_options.id"],
            name=op.f("fk_poll_votes_option_id_poll_options"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("option_id", "user_id", name=op.f("pk_poll_votes")),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_notices_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index(op.f("ix_notices_event_id"), "notices", ["event_id"], unique=False)
    op.create_index("ix_notices_state", "notices", ["state", "lease_until"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_notices_state", table_name="notices")
    op.drop_index(op.f("ix_notices_event_id"), table_name="notices")
    op.drop_table("notices")
    op.drop_table("poll_votes")
    op.drop_index(op.f("ix_poll_options_event_id"), table_name="poll_options")
    op.drop_table("poll_options")
    with op.batch_alter_table("posted_cards", schema=None) as batch_op:
        batch_op.drop_column("shows_poll")
    op.drop_index("ix_events_poll_due", table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("poll_closes_at")
        batch_op.drop_column("kind")
