"""Read-side views of the alert queue for the CLI (and later the web pages)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from alerts.explain import explanation_lines
from alerts.local_times import local_time
from alerts.queue import by_second_opinion
from alerts.recurring import link_views
from alerts.scores import format_probability, format_score, round_score
from alerts.stories import spread
from storage.claims import matches_for, reposts_of
from storage.db import Database
from storage.localities import alert_locality_keys, in_localities
from storage.models import Alert, Analysis, Item, User

DISPLAY_TZ = "Asia/Ho_Chi_Minh"


def alerts_with_items() -> Select[tuple[Alert]]:
    """Alerts with their item, source and analysis loaded in a few queries, not one each."""
    return select(Alert).options(
        selectinload(Alert.item).selectinload(Item.source),
        selectinload(Alert.item).selectinload(Item.analysis),
    )


OPEN = ("new", "in_review")
SORTS = ("priority", "score", "date", "seen")


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, and how many alerts the filters matched in all."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_alerts(
    db: Database,
    status: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    locality: str | None = None,
    limit: int = 50,
    **query: Any,
) -> list[dict[str, Any]]:
    """The first ``limit`` matching alerts (for the CLI); see ``queue_page``."""
    return queue_page(
        db,
        status=status,
        category=category,
        since=since,
        locality=locality,
        per_page=limit,
        **query,
    ).rows


def queue_page(
    db: Database,
    status: str | Sequence[str] | None = None,
    category: str | None = None,
    since: datetime | None = None,
    locality: str | None = None,
    search: str | None = None,
    sort: str = "priority",
    page: int = 1,
    per_page: int = 50,
    fold: Callable[[str], str] = str.casefold,
    allowed: Sequence[str] | None = None,
    locality_key: str | None = None,
) -> QueuePage:
    """Alerts matching the filters, sorted, one page of them.

    ``priority`` (the default) is the learned model's order (alerts.queue.by_second_opinion),
    newest first among equals; ``score`` the rule score alone.
    ``allowed`` (an account limited to some localities) keeps only the alerts of those
    localities, in the query itself, so counts and pages never include the others;
    ``locality_key`` is the provincial queue's filter by one locality.

    ``search`` (over title and text) and ``locality`` compare folded forms on both sides:
    ``fold`` is given by the caller (monitor wiring passes nlp's diacritics folding, so "bo y"
    finds "Bờ Y"); alerts does not import nlp.
    """
    query = (
        alerts_with_items()
        .join(Item, Item.id == Alert.item_id)
        .outerjoin(Analysis, Analysis.item_id == Alert.item_id)
    )
    if isinstance(status, str):
        query = query.where(Alert.status == status)
    elif status:
        query = query.where(Alert.status.in_(list(status)))
    if since:
        query = query.where(Alert.created_at >= since)
    if allowed is not None:
        query = query.where(in_localities(allowed))
    if locality_key:
        query = query.where(in_localities([locality_key]))
    published = func.coalesce(Item.published_at, Item.fetched_at)
    order = {
        "date": (published.desc(), Alert.id.desc()),
        "seen": (Item.fetched_at.desc(), Alert.id.desc()),
        "score": (Alert.score.desc(), Alert.id.desc()),
    }.get(sort, (*by_second_opinion(), Alert.id.desc()))
    query = query.order_by(*order)
    needle = fold(search.strip()) if search and search.strip() else None
    place = fold(locality.strip()) if locality and locality.strip() else None
    page, per_page = max(1, page), max(1, per_page)
    first = (page - 1) * per_page
    rows, total = [], 0
    with db.session() as session:
        names = display_names(session)
        for alert in session.scalars(query):
            analysis = alert.item.analysis
            units = sorted({loc["unit"] for loc in (analysis.localities if analysis else [])})
            if category and category not in alert.categories:
                continue
            if place and not any(place in fold(u) for u in units):
                continue
            if needle and needle not in fold(alert.item.title + "\n" + alert.item.text):
                continue
            total += 1
            if first < total <= first + per_page:
                rows.append(_queue_row(alert, units, names))
        keys = alert_locality_keys(session, [row["id"] for row in rows])
    for row in rows:
        row["locality_keys"] = keys[row["id"]]
    return QueuePage(rows, total, page, per_page)


def can_see(session: Session, alert_id: int, allowed: Sequence[str] | None) -> bool:
    """Whether the alert exists and an account with this limit may see it."""
    query = select(Alert.id).where(Alert.id == alert_id)
    if allowed is not None:
        query = query.where(in_localities(allowed))
    return session.scalar(query) is not None


def display_names(session: Session) -> dict[str, str]:
    """Analysts' names as they wish to be shown, by user name (assignees are user names)."""
    return {u: d or u for u, d in session.execute(select(User.username, User.display_name))}


def _queue_row(alert: Alert, units: list[str], names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": alert.id,
        "status": alert.status,
        "score": round_score(alert.score),
        "probability": _probability(alert),
        "categories": list(alert.categories),
        "localities": units,
        "source": alert.item.source.name,
        "title": alert.item.title,
        "url": alert.item.url,
        "published_at": alert.item.published_at,
        "first_seen": alert.item.fetched_at,
        "assignee": alert.assignee,
        "assignee_name": names.get(alert.assignee or "", alert.assignee),
        "created_at": alert.created_at,
    }


def _probability(alert: Alert) -> float | None:
    """The learned model's probability for the alert's item (None before a model)."""
    analysis = alert.item.analysis
    return analysis.learned_probability if analysis is not None else None


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
            f"Alert #{alert.id}  status: {alert.status}  score: {format_score(alert.score)}"
            + (
                f"  model: {format_probability(analysis.learned_probability)}"
                if analysis is not None and analysis.learned_probability is not None
                else ""
            )
            + (f"  assignee: {alert.assignee}" if alert.assignee else ""),
            f"Source: {item.source.name}  published: "
            + (
                f"{local_time(item.published_at, DISPLAY_TZ)} (Asia/Ho_Chi_Minh)"
                if item.published_at
                else "unknown"
            ),
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
        lines += ["", *explanation_lines(getattr(analysis, "explanation", None))]
        if item.story_id is not None:
            info = spread(session, [item.story_id])[item.story_id]
            sources = ", ".join(f"{name} ({count})" for name, count in info.per_source)
            lines += [
                "",
                f"Story #{info.story_id}: {info.items} items, first seen "
                f"{local_time(info.first_seen, DISPLAY_TZ)}, {info.last_24h} in the last "
                f"24 h; sources: {sources}",
            ]
        lines += _link_lines(session, item.id)
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


def _link_lines(session: Session, item_id: int) -> list[str]:
    """The claim this item repeats or denies, with the earlier verdict and clarification."""
    link = link_views(session, [item_id]).get(item_id)
    if link is None:
        return []
    lines = [
        "",
        f"Matched alert: {link.matched_alert if link.matched_alert else '-'}  "
        f"similarity: {link.similarity:.2f}  kind: {link.kind}",
        f"  {link.summary()}",
        f"  Earlier claim: {link.title} ({link.source}, {link.url})",
        f"  Earlier verdict: {link.verdict}",
    ]
    if link.clarification:
        lines.append(f"  Earlier clarification: {link.clarification}")
    if link.link:
        lines.append(f"  Clarification link: {link.link}")
    return lines


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
    title or text: a source editing its entry afterwards changes nothing the office shows.

    Each clarification is listed once: a published alert that repeats an earlier published
    claim is counted among that claim's reposts, with the dates (``reposts``: when each
    repost was published, or collected) of every item matched to it."""
    query = (
        select(Alert)
        .where(Alert.published_at.is_not(None))
        .order_by(Alert.published_at.desc())
        .limit(limit)
    )
    with db.session() as session:
        published = list(session.scalars(query))
        ids = {a.id for a in published}
        links = matches_for(session, [a.item_id for a in published])
        shown = [
            a
            for a in published
            if not (
                (link := links.get(a.item_id)) is not None
                and link.kind == "repost"
                and link.matched_alert_id in ids
            )
        ]
        reposts = reposts_of(session, [a.id for a in shown])
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
                # an entry is updated when published, changed or reposted, whichever is last
                "updated_at": max(
                    [a.updated_at, a.published_at, *(i.fetched_at for i in reposts.get(a.id, []))]
                ),
                "reposts": [i.published_at or i.fetched_at for i in reposts.get(a.id, [])],
            }
            for a in shown
        ]
