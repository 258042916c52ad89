"""the score explained, and the source trust an analysis was made with

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("analyses", sa.Column("explanation", sa.JSON(), nullable=True))
    op.add_column("analyses", sa.Column("trust", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyses") as batch_op:
        batch_op.drop_column("trust")
        batch_op.drop_column("explanation")
