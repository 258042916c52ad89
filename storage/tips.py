"""Tip line bookkeeping: which tips still await their acknowledgement."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Item, Source, utcnow


def unacknowledged_tips(session: Session, source_name: str) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Item.id, Item.reply_to)
        .join(Source, Source.id == Item.source_id)
        .where(
            Source.name == source_name, Item.reply_to.is_not(None), Item.acknowledged_at.is_(None)
        )
        .order_by(Item.id)
    ).all()
    return [(item_id, address) for item_id, address in rows]


def mark_acknowledged(session: Session, item_id: int) -> None:
    session.execute(update(Item).where(Item.id == item_id).values(acknowledged_at=utcnow()))


def undo_acknowledged(session: Session, item_id: int) -> None:
    session.execute(update(Item).where(Item.id == item_id).values(acknowledged_at=None))
