"""Languages: the one a chat (or a person, for their private chat) chose, a person's Telegram one, and
the one a card sent inline was written in.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("language_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("seen_language", sa.String(length=16), nullable=True))
    op.create_index("ix_chat_settings_language_at", "chat_settings", ["language_at"], unique=False)
    with op.batch_alter_table("posted_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posted_cards", schema=None) as batch_op:
        batch_op.drop_column("language")
    op.drop_index("ix_chat_settings_language_at", table_name="chat_settings")
    with op.batch_alter_table("chat_settings", schema=None) as batch_op:
        batch_op.drop_column("seen_language")
        batch_op.drop_column("language_at")
        batch_op.drop_column("language")
