"""Events remember the update that created them, so a repeated update does not create another.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_events_origin"), ["origin"])


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_events_origin"), type_="unique")
        batch_op.drop_column("origin")
