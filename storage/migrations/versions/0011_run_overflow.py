"""what each source offered beyond the caps, per run (entries, links, truncated texts)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "run_source_stats",
        sa.Column("overflow", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("run_source_stats") as batch_op:
        batch_op.drop_column("overflow")
