"""Analysis bookkeeping: which items need (re-)analysis, and saving results."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Analysis, Item, Source, utcnow


@dataclass(frozen=True, slots=True)
class PendingItem:
    id: int
    title: str
    text: str
    content_hash: str
    trust: str


def pending_items(
    session: Session, ruleset_version: str, batch_size: int = 500, after_id: int = 0
) -> Iterator[list[PendingItem]]:
    """Batches of items not analyzed with this rule set or changed since, in id order.

    Batches are keyed by id, so memory stays flat however many items are stored, and a run
    interrupted half-way resumes where the unanalyzed items start.
    """
    last_id = after_id
    while True:
        rows = session.execute(
            select(Item.id, Item.title, Item.text, Item.content_hash, Source.trust)
            .join(Source, Source.id == Item.source_id)
            .outerjoin(Analysis, Analysis.item_id == Item.id)
            .where(Item.id > last_id, Item.purged.is_(False))
            .where(
                or_(
                    Analysis.id.is_(None),
                    Analysis.ruleset_version != ruleset_version,
                    Analysis.content_hash != Item.content_hash,
                )
            )
            .order_by(Item.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        yield [PendingItem(*row) for row in rows]
        last_id = rows[-1][0]


def save_analysis(
    session: Session,
    item_id: int,
    ruleset_version: str,
    content_hash: str,
    result: dict[str, Any],
) -> None:
    row = session.scalar(select(Analysis).where(Analysis.item_id == item_id))
    if row is None:
        row = Analysis(item_id=item_id)
        session.add(row)
    row.ruleset_version = ruleset_version
    row.content_hash = content_hash
    row.localities = result["localities"]
    row.matches = result["matches"]
    row.score = result["score"]
    row.flagged = result["flagged"]
    row.analyzed_at = utcnow()
