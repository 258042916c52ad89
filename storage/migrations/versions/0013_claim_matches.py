"""claim matches: an item that repeats or denies a claim with a verdict

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("matched_item_id", sa.Integer(), nullable=False),
        sa.Column("matched_alert_id", sa.Integer(), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.Boolean(), nullable=False),
        sa.Column("effect", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.ForeignKeyConstraint(["matched_item_id"], ["items.id"]),
        sa.ForeignKeyConstraint(["matched_alert_id"], ["alerts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
    )
    with op.batch_alter_table("claim_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_matches_matched_item_id"), ["matched_item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_claim_matches_matched_alert_id"), ["matched_alert_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("claim_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_matches_matched_alert_id"))
        batch_op.drop_index(batch_op.f("ix_claim_matches_matched_item_id"))
    op.drop_table("claim_matches")
