"""Unlocks get a table of their own, and codes a version that a new code bumps.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

An unlock used to be a mark inside the guided-flow state, renewed by every step and untouched by a
new code. Now it is a row with a fixed expiry, valid only for the code version it was made with; claim
links carry the version too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("code_claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_version", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "unlocks",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("code_version", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_unlocks_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "user_id", name=op.f("pk_unlocks")),
    )
    # Unlock marks inside guided-flow state are not honoured any more; drop them rather than keep junk.
    op.execute("DELETE FROM conversations WHERE step = ''")


def downgrade() -> None:
    op.drop_table("unlocks")
    with op.batch_alter_table("code_claims", schema=None) as batch_op:
        batch_op.drop_column("code_version")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("code_version")
