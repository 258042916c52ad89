"""published clarifications frozen at publication; tip acknowledgement attempts

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("published_title", sa.Text(), nullable=True))
    op.add_column("alerts", sa.Column("published_text", sa.Text(), nullable=True))
    op.add_column("alerts", sa.Column("published_url", sa.Text(), nullable=True))
    # clarifications published before this revision: freeze what they show today
    op.execute(
        "UPDATE alerts SET"
        " published_title = (SELECT title FROM items WHERE items.id = alerts.item_id),"
        " published_text = (SELECT text FROM items WHERE items.id = alerts.item_id),"
        " published_url = (SELECT url FROM items WHERE items.id = alerts.item_id)"
        " WHERE published_at IS NOT NULL"
    )
    op.add_column(
        "items", sa.Column("ack_attempts", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("items", sa.Column("ack_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch_op:
        batch_op.drop_column("ack_error")
        batch_op.drop_column("ack_attempts")
    with op.batch_alter_table("alerts") as batch_op:
        batch_op.drop_column("published_url")
        batch_op.drop_column("published_text")
        batch_op.drop_column("published_title")
