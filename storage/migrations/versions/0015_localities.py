"""many localities: the localities of each alert, accounts limited to localities, one
digest message per audience

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_localities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("locality_key", sa.String(40), nullable=False),
        sa.UniqueConstraint("alert_id", "locality_key", name="uq_alert_locality"),
    )
    op.create_index("ix_alert_localities_alert_id", "alert_localities", ["alert_id"])
    op.create_index("ix_alert_localities_locality_key", "alert_localities", ["locality_key"])
    # alerts made before: the single `locality:` section, whose key is "default"
    op.execute(
        "INSERT INTO alert_localities (alert_id, locality_key) SELECT id, 'default' FROM alerts"
    )
    op.create_table(
        "user_localities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("locality_key", sa.String(40), nullable=False),
        sa.UniqueConstraint("user_id", "locality_key", name="uq_user_locality"),
    )
    op.create_index("ix_user_localities_user_id", "user_localities", ["user_id"])
    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("digest_id", sa.Integer(), sa.ForeignKey("digests.id"), nullable=False),
        sa.Column("audience", sa.String(500), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("digest_id", "audience", name="uq_digest_audience"),
    )
    op.create_index("ix_digest_deliveries_digest_id", "digest_deliveries", ["digest_id"])


def downgrade() -> None:
    op.drop_table("digest_deliveries")
    op.drop_table("user_localities")
    op.drop_table("alert_localities")
