"""quota units charged by platform APIs, per source and run

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "run_source_stats",
        sa.Column("api_units", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("run_source_stats") as batch_op:
        batch_op.drop_column("api_units")
