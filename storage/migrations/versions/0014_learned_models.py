"""learned models (the second opinion) and their probability on analyses

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learned_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("verdicts", sa.Integer(), nullable=False),
        sa.Column("seed_examples", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("folds", sa.Integer(), nullable=False),
        sa.Column("cv_precision", sa.Float(), nullable=False),
        sa.Column("cv_recall", sa.Float(), nullable=False),
        sa.Column("cv_f1", sa.Float(), nullable=False),
        sa.Column("cv_average_precision", sa.Float(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("arrays", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.add_column("analyses", sa.Column("learned_probability", sa.Float(), nullable=True))
    op.add_column("analyses", sa.Column("learned_version", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyses") as batch_op:
        batch_op.drop_column("learned_version")
        batch_op.drop_column("learned_probability")
    op.drop_table("learned_models")
