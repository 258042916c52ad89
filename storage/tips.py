"""Tip line bookkeeping: which tips still await their acknowledgement."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Item, Source, utcnow


def unacknowledged_tips(
    session: Session, source_name: str, max_attempts: int
) -> list[tuple[int, str]]:
    """Tips still to answer: not acknowledged, and not given up after ``max_attempts``."""
    rows = session.execute(
        select(Item.id, Item.reply_to)
        .join(Source, Source.id == Item.source_id)
        .where(
            Source.name == source_name,
            Item.reply_to.is_not(None),
            Item.acknowledged_at.is_(None),
            Item.ack_attempts < max_attempts,
        )
        .order_by(Item.id)
    ).all()
    return [(item_id, address) for item_id, address in rows]


def mark_acknowledged(session: Session, item_id: int) -> None:
    session.execute(update(Item).where(Item.id == item_id).values(acknowledged_at=utcnow()))


def ack_failed(session: Session, item_id: int, reason: str) -> int:
    """A refused acknowledgement: open again for a retry, with the reason; returns the
    attempts made so far."""
    session.execute(
        update(Item)
        .where(Item.id == item_id)
        .values(acknowledged_at=None, ack_attempts=Item.ack_attempts + 1, ack_error=reason[:2000])
    )
    return session.get_one(Item, item_id).ack_attempts


def ack_uncertain(session: Session, item_id: int, reason: str) -> None:
    """Sent, but no reply came: it stays acknowledged (never resent), with the reason."""
    session.execute(update(Item).where(Item.id == item_id).values(ack_error=reason[:2000]))
