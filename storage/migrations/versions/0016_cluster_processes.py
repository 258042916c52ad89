"""cluster processes and their heartbeats

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cluster_processes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("work_done", sa.Integer(), nullable=False),
        sa.Column("leader", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("host", "pid", "role", name="uq_cluster_process"),
    )
    op.create_index("ix_cluster_processes_last_seen", "cluster_processes", ["last_seen"])


def downgrade() -> None:
    op.drop_index("ix_cluster_processes_last_seen", table_name="cluster_processes")
    op.drop_table("cluster_processes")
