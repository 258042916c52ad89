"""items needing full text and their delivered hash; article errors apart from source errors


Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite supports it with a constant default): no table rebuild.
    op.add_column(
        "items",
        sa.Column("needs_fulltext", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("items", sa.Column("source_hash", sa.String(length=64), nullable=True))
    op.add_column(
        "run_source_stats",
        sa.Column("article_errors", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("run_source_stats") as batch_op:
        batch_op.drop_column("article_errors")
    with op.batch_alter_table("items") as batch_op:
        batch_op.drop_column("source_hash")
        batch_op.drop_column("needs_fulltext")
