"""press notes, press bulletins and their per-contact deliveries, stored reports

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "press_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("locality", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_press_notes_created_at", "press_notes", ["created_at"])
    op.create_index("ix_press_notes_alert_id", "press_notes", ["alert_id"])
    op.create_table(
        "press_bulletins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("period_end", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("subject", sa.Text(), nullable=False, server_default=""),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("html", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("period_start", name="uq_press_bulletins_period_start"),
    )
    op.create_table(
        "press_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("bulletin_id", sa.Integer(), sa.ForeignKey("press_bulletins.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("newsroom", sa.Text(), nullable=False, server_default=""),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("bulletin_id", "email", name="uq_press_delivery_contact"),
    )
    op.create_index("ix_press_deliveries_state", "press_deliveries", ["state"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period_label", sa.String(40), nullable=False),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("period_end", sa.DateTime(), nullable=False),
        sa.Column("locality", sa.String(200), nullable=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_reports_created_at", "reports", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_created_at", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_press_deliveries_state", table_name="press_deliveries")
    op.drop_table("press_deliveries")
    op.drop_table("press_bulletins")
    op.drop_index("ix_press_notes_alert_id", table_name="press_notes")
    op.drop_index("ix_press_notes_created_at", table_name="press_notes")
    op.drop_table("press_notes")
