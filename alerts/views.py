"""Read-side views of the alert queue for the CLI (and later the web pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from alerts.render import local_time
from alerts.stories import spread
from storage.db import Database
from storage.models import Alert, Item

DISPLAY_TZ = "Asia/Ho_Chi_Minh"


def alerts_with_items() -> Select[tuple[Alert]]:
    """Alerts with their item, source and analysis loaded in a few queries, not one each."""
    return select(Alert).options(
        selectinload(Alert.item).selectinload(Item.source),
        selectinload(Alert.item).selectinload(Item.analysis),
    )


def list_alerts(
    db: Database,
    status: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    locality: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    query = alerts_with_items().order_by(Alert.score.desc(), Alert.id.desc())

    if status:
        query = query.where(Alert.status == status)
    if since:
        query = query.where(Alert.created_at >= since)
    rows = []
    with db.session() as session:
        for alert in session.scalars(query):
            units = sorted(
                {
                    loc["unit"]
                    for loc in (alert.item.analysis.localities if alert.item.analysis else [])
                }
            )
            if category and category not in alert.categories:
                continue
            if locality and not any(locality.lower() in u.lower() for u in units):
                continue
            rows.append(
                {
                    "id": alert.id,
                    "status": alert.status,
                    "score": alert.score,
                    "categories": list(alert.categories),
                    "localities": units,
                    "source": alert.item.source.name,
                    "title": alert.item.title,
                    "url": alert.item.url,
                    "created_at": alert.created_at,
                }
            )
            if len(rows) >= limit:
                break
    return rows


def highlight(text: str, spans: list[tuple[int, int]], left: str = "»", right: str = "«") -> str:
    out, cursor = [], 0
    for start, end in sorted(set(spans)):
        if start < cursor:
            continue
        out += [text[cursor:start], left, text[start:end], right]
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def alert_detail(db: Database, alert_id: int) -> str | None:
    with db.session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return None
        item, analysis = alert.item, alert.item.analysis
        matches = analysis.matches if analysis else []
        localities = analysis.localities if analysis else []
        lines = [
            f"Alert #{alert.id}  status: {alert.status}  score: {alert.score:.1f}",
            f"Source: {item.source.name}  published: "
            f"{local_time(item.published_at, DISPLAY_TZ)} (Asia/Ho_Chi_Minh)",
            f"URL: {item.url}",
            f"Categories: {', '.join(alert.categories)}",
            f"Localities: {', '.join(sorted({loc['unit'] for loc in localities}))}",
            "",
            "Title: " + highlight(item.title, _spans(matches + localities, "title")),
            "",
            highlight(item.text, _spans(matches + localities, "text")),
            "",
            "Matches:",
        ]
        lines += [
            f"  {m['rule']} [{m['category']}] {m['surface']!r} at {m['field']} "
            f"{m['start']}-{m['end']} weight {m['weight']}"
            for m in matches
        ]
        if item.story_id is not None:
            info = spread(session, [item.story_id])[item.story_id]
            sources = ", ".join(f"{name} ({count})" for name, count in info.per_source)
            lines += [
                "",
                f"Story #{info.story_id}: {info.items} items, first seen "
                f"{local_time(info.first_seen, DISPLAY_TZ)}, {info.last_24h} in the last "
                f"24 h; sources: {sources}",
            ]
        if alert.clarification:
            lines += ["", f"Clarification: {alert.clarification}"]
        if alert.clarification_link:
            lines.append(f"Link: {alert.clarification_link}")
        lines += ["", "History:"]
        lines += [
            f"  {local_time(e.created_at, DISPLAY_TZ)} {e.actor}: "
            f"{e.from_status or '-'} -> {e.to_status}" + (f" ({e.note})" if e.note else "")
            for e in alert.events
        ]
        return "\n".join(lines)


def _spans(found: list[dict[str, Any]], field: str) -> list[tuple[int, int]]:
    return [(f["start"], f["end"]) for f in found if f.get("field") == field]


def segments(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """Text cut into (piece, kind) so templates can mark matches and places, escaped."""
    pieces: list[tuple[str, str | None]] = []
    cursor = 0
    for start, end, kind in sorted(spans):
        if start < cursor or end > len(text):
            continue
        if start > cursor:
            pieces.append((text[cursor:start], None))
        pieces.append((text[start:end], kind))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], None))
    return pieces


def published_clarifications(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """What the office published: the claim as reported, the verdict and the clarification.
    No analyst names. The claim is the copy frozen at publication, never the item's current
    title or text: a source editing its entry afterwards changes nothing the office shows."""
    query = (
        select(Alert)
        .where(Alert.published_at.is_not(None))
        .order_by(Alert.published_at.desc())
        .limit(limit)
    )
    with db.session() as session:
        return [
            {
                "id": a.id,
                "claim": a.published_title or "",
                "text": a.published_text or "",
                "url": a.published_url,
                "status": a.status,
                "clarification": a.clarification,
                "link": a.clarification_link,
                "published_at": a.published_at,
                "updated_at": a.updated_at,
            }
            for a in session.scalars(query)
        ]
