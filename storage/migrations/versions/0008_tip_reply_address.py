"""the reply address of a tip and when it was acknowledged (tip line items only)


Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 05:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("items", sa.Column("reply_to", sa.Text(), nullable=True))
    op.add_column("items", sa.Column("acknowledged_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch_op:
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("reply_to")
