"""Counts for the overview page: items and alerts per day, per source, per category, verdicts.

Days are days in Việt Nam (UTC+7, no daylight saving), oldest first, each given as a date
so pages format it (dd/mm/yyyy) the same way as every other date.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session

from storage.db import Database
from storage.localities import in_localities
from storage.models import Alert, AlertLocality, Item, Source, utcnow
from storage.status import failing_sources

DAYS = 14
VIETNAM = timedelta(hours=7)


def overview(
    db: Database, failures: int = 3, allowed: Sequence[str] | None = None
) -> dict[str, Any]:
    """The figures of the overview. With ``allowed`` (an account limited to some localities)
    every alert figure counts only their alerts; collected items are shared by all."""
    now = utcnow()
    visible = in_localities(allowed) if allowed is not None else true()
    since = now - timedelta(days=DAYS)
    days = [(now + VIETNAM).date() - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    with db.session() as s:
        item_rows = s.execute(
            select(Item.fetched_at, Source.name)
            .join(Source, Source.id == Item.source_id)
            .where(Item.fetched_at >= since)
        ).all()
        alert_rows = s.execute(
            select(Alert.created_at, Alert.categories).where(Alert.created_at >= since, visible)
        ).all()
        per_source = s.execute(
            select(Source.name, func.count(Item.id), func.count(Alert.id))
            .join(Item, Item.source_id == Source.id, isouter=True)
            .join(Alert, and_(Alert.item_id == Item.id, visible), isouter=True)
            .group_by(Source.name)
            .order_by(Source.name)
        ).all()
        verdicts = dict(
            s.execute(
                select(Alert.status, func.count()).where(visible).group_by(Alert.status)
            ).all()
        )
        by_locality = _by_locality(s, allowed)
        failing = [
            (f.name, f.consecutive_failures, f.last_error)
            for f in failing_sources(s, failures, now - timedelta(hours=1))
        ]
    items_by_day = Counter(_day(when) for when, _ in item_rows)
    alerts_by_day = Counter(_day(when) for when, _ in alert_rows)
    categories: Counter[str] = Counter(c for _, cats in alert_rows for c in cats)
    by_category: dict[str, Counter[date]] = {}
    for when, cats in alert_rows:
        for c in cats:
            by_category.setdefault(c, Counter())[_day(when)] += 1
    by_source: dict[str, Counter[date]] = {}
    for when, name in item_rows:
        by_source.setdefault(name, Counter())[_day(when)] += 1
    return {
        "days": [(d, items_by_day.get(d, 0), alerts_by_day.get(d, 0)) for d in reversed(days)],
        "sources": per_source,
        "categories": categories.most_common(),
        "verdicts": verdicts,
        "localities": by_locality,
        "failing": failing,
        "series_days": days,
        "alerts_by_category": {c: [n[d] for d in days] for c, n in sorted(by_category.items())},
        "items_by_source": {s: [n[d] for d in days] for s, n in sorted(by_source.items())},
    }


def _by_locality(session: Session, allowed: Sequence[str] | None) -> list[tuple[str, int, int]]:
    """(locality key, alerts, open alerts) for each locality with alerts, by key."""
    is_open = case((Alert.status.in_(("new", "in_review")), 1), else_=0)
    query = (
        select(AlertLocality.locality_key, func.count(), func.coalesce(func.sum(is_open), 0))
        .join(Alert, Alert.id == AlertLocality.alert_id)
        .group_by(AlertLocality.locality_key)
        .order_by(AlertLocality.locality_key)
    )
    if allowed is not None:
        query = query.where(AlertLocality.locality_key.in_(list(allowed)))
    return [(key, int(total), int(open_)) for key, total, open_ in session.execute(query)]


def _day(when: Any) -> date:
    return (when + VIETNAM).date()
