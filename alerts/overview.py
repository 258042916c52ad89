"""Counts for the overview page: items and alerts per day, per source, per category."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Alert, Item, Source, utcnow
from storage.status import failing_sources

DAYS = 14


def overview(db: Database, failures: int = 3) -> dict[str, Any]:
    since = utcnow() - timedelta(days=DAYS)
    with db.session() as s:
        items_by_day = _by_day(s, Item.fetched_at, since)
        alerts_by_day = _by_day(s, Alert.created_at, since)
        per_source = s.execute(
            select(Source.name, func.count(Item.id), func.count(Alert.id))
            .join(Item, Item.source_id == Source.id, isouter=True)
            .join(Alert, Alert.item_id == Item.id, isouter=True)
            .group_by(Source.name)
            .order_by(Source.name)
        ).all()
        categories: dict[str, int] = {}
        for (cats,) in s.execute(select(Alert.categories).where(Alert.created_at >= since)):
            for c in cats:
                categories[c] = categories.get(c, 0) + 1
        failing = [
            (f.name, f.consecutive_failures, f.last_error)
            for f in failing_sources(s, failures, utcnow() - timedelta(hours=1))
        ]
    days = sorted(set(items_by_day) | set(alerts_by_day), reverse=True)
    return {
        "days": [(d, items_by_day.get(d, 0), alerts_by_day.get(d, 0)) for d in days],
        "sources": per_source,
        "categories": sorted(categories.items(), key=lambda kv: -kv[1]),
        "failing": failing,
    }


def _by_day(session: Any, column: Any, since: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (when,) in session.execute(select(column).where(column >= since)):
        day = (when + timedelta(hours=7)).strftime("%Y-%m-%d")  # the day in Việt Nam
        counts[day] = counts.get(day, 0) + 1
    return counts
