"""Retention: old items that never became alerts lose their text and author.

The row itself stays (its canonical URL keeps the item from being collected again as new,
and stories and run statistics keep their counts); alerts, verdicts and their items are
kept whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Alert, Item


@dataclass(frozen=True)
class PurgePlan:
    before: datetime
    items: int
    oldest: datetime | None


def _purgeable(before: datetime) -> ColumnElement[bool]:
    has_alert = select(Alert.id).where(Alert.item_id == Item.id).exists()
    return (Item.fetched_at < before) & Item.purged.is_(False) & ~has_alert


def plan_purge(session: Session, before: datetime) -> PurgePlan:
    count, oldest = session.execute(
        select(func.count(), func.min(Item.fetched_at)).where(_purgeable(before))
    ).one()
    return PurgePlan(before, count, oldest)


def purge(session: Session, before: datetime) -> int:
    result = session.execute(
        update(Item)
        .where(_purgeable(before))
        .values(text="", author=None, purged=True)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
