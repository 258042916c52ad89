"""Alert export for other tools: JSON lines or CSV, one row per alert.

Analyst names are left out (the audit trail keeps them); times are UTC ISO 8601; scores are
rounded as on the pages (alerts.scores), the learned model's probability to 3 decimals (None
before a model). CSV starts with a UTF-8 byte-order mark for Excel.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any

from alerts.recurring import LinkView, link_views
from alerts.scores import round_score
from alerts.views import alerts_with_items
from storage.db import Database
from storage.localities import alert_locality_keys, in_localities
from storage.models import Alert

FIELDS = [
    "alert_id",
    "status",
    "score",
    "learned_probability",
    "categories",
    "localities",
    "locality_keys",
    "title",
    "url",
    "source",
    "published_at",
    "created_at",
    "updated_at",
    "story_id",
    "note",
    "clarification",
    "clarification_link",
    "matched_alert",
    "similarity",
    "match_kind",
    "matched_verdict",
    "matched_reference_url",
]


def export_rows(
    db: Database,
    status: str | None = None,
    since: datetime | None = None,
    allowed: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Every alert (``allowed``: only those of these localities), oldest first."""
    query = alerts_with_items().order_by(Alert.id)
    if allowed is not None:
        query = query.where(in_localities(allowed))

    if status:
        query = query.where(Alert.status == status)
    if since:
        query = query.where(Alert.created_at >= since)
    with db.session() as session:
        alerts = list(session.scalars(query))
        keys = alert_locality_keys(session, [a.id for a in alerts])
        links = link_views(session, [a.item_id for a in alerts])
        return [_row(alert, keys[alert.id]) | _link(links.get(alert.item_id)) for alert in alerts]


def _link(link: LinkView | None) -> dict[str, Any]:
    """The claim the alert repeats or denies (empty when none)."""
    if link is None:
        return dict.fromkeys(FIELDS[-5:])
    return {
        "matched_alert": link.matched_alert,
        "similarity": link.similarity,
        "match_kind": link.kind,
        "matched_verdict": link.verdict,
        "matched_reference_url": link.url if link.reference else None,
    }


def _row(alert: Alert, locality_keys: list[str]) -> dict[str, Any]:
    item = alert.item
    localities = item.analysis.localities if item.analysis else []
    return {
        "alert_id": alert.id,
        "status": alert.status,
        "score": round_score(alert.score),
        # the learned second opinion, when a model scored the item (nlp/learned.py)
        "learned_probability": _probability(item.analysis),
        "categories": list(alert.categories),
        "localities": sorted({loc["unit"] for loc in localities}),
        "locality_keys": locality_keys,
        "title": item.title,
        "url": item.url,
        "source": item.source.name,
        "published_at": _iso(item.published_at),
        "created_at": _iso(alert.created_at),
        "updated_at": _iso(alert.updated_at),
        "story_id": item.story_id,
        "note": alert.note,
        "clarification": alert.clarification,
        "clarification_link": alert.clarification_link,
    }


def _probability(analysis: Any) -> float | None:
    value = analysis.learned_probability if analysis is not None else None
    return None if value is None else round(value, 3)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def write_export(rows: list[dict[str, Any]], fmt: str, out: IO[str]) -> None:
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    # A byte-order mark first: Excel on Windows then reads the file as UTF-8, not cp1258.
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else v for k, v in row.items()})
