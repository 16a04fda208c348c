"""Card sync lives in the database: card versions, claimable sync work, shared send budgets.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Pending card edits used to live in one process's memory; a restart, an outage or a SIGKILL lost them.
Now every change bumps the event's card_version and leaves a card_syncs row that any process claims.
Cards already posted count as showing the current version.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("posted_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shown_version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("failures", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "card_syncs",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generation", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_card_syncs_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_card_syncs")),
    )
    op.create_index("ix_card_syncs_due_at", "card_syncs", ["due_at"], unique=False)
    op.create_table(
        "send_budgets",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("full_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_send_budgets")),
    )
    op.create_table(
        "bot_processes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_processes")),
    )


def downgrade() -> None:
    op.drop_table("bot_processes")
    op.drop_table("send_budgets")
    op.drop_index("ix_card_syncs_due_at", table_name="card_syncs")
    op.drop_table("card_syncs")
    with op.batch_alter_table("posted_cards", schema=None) as batch_op:
        batch_op.drop_column("failures")
        batch_op.drop_column("shown_version")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("card_version")
