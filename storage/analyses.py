"""Analysis bookkeeping: which items need (re-)analysis, and saving results."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from storage.localities import mention_keys, record_alert_localities
from storage.models import Alert, Analysis, Item, RuleSetRecord, Source, utcnow


@dataclass(frozen=True, slots=True)
class PendingItem:
    """An item to analyze, with what its previous analysis found (if any)."""

    id: int
    title: str
    text: str
    content_hash: str
    trust: str
    previous_version: str | None = None
    previous_hash: str | None = None
    previous_flagged: bool = False
    previous_rules: frozenset[str] = frozenset()
    previous_has_locality: bool = False
    alert_id: int | None = None
    alert_status: str | None = None
    previous_trust: str | None = None
    reference: str | None = None  # the source's reference kind (its items raise no alerts)

    @property
    def content_changed(self) -> bool:
        """Text or the source's trust changed: no rule-change shortcut applies."""
        return self.previous_hash != self.content_hash or self.previous_trust != self.trust


def pending_items(
    session: Session,
    ruleset_version: str,
    batch_size: int = 500,
    after_id: int = 0,
    ids: Sequence[int] | None = None,
) -> Iterator[list[PendingItem]]:
    """Batches of items not analyzed with this rule set or changed since, in id order
    (only those of ``ids`` when given: a cluster's analysis task).

    Batches are keyed by id, so memory stays flat however many items are stored, and a run
    interrupted half-way resumes where the unanalyzed items start.
    """
    last_id = after_id
    while True:
        query = (
            select(
                Item.id,
                Item.title,
                Item.text,
                Item.content_hash,
                Source.trust,
                Analysis.ruleset_version,
                Analysis.content_hash,
                Analysis.flagged,
                Analysis.matches,
                Analysis.localities,
                Alert.id,
                Alert.status,
                Analysis.trust,
                Source.options,
            )
            .join(Source, Source.id == Item.source_id)
            .outerjoin(Analysis, Analysis.item_id == Item.id)
            .outerjoin(Alert, Alert.item_id == Item.id)
            .where(Item.id > last_id, Item.purged.is_(False))
            .where(_needs_analysis(ruleset_version))
            .order_by(Item.id)
            .limit(batch_size)
        )
        if ids is not None:
            query = query.where(Item.id.in_(list(ids)))
        rows = session.execute(query).all()
        if not rows:
            return
        yield [_pending(row) for row in rows]
        last_id = rows[-1][0]


def _needs_analysis(ruleset_version: str) -> ColumnElement[bool]:
    """Never analysed, analysed with other rules, or changed since (text or trust)."""
    return or_(
        Analysis.id.is_(None),
        Analysis.ruleset_version != ruleset_version,
        Analysis.content_hash != Item.content_hash,
        Analysis.trust.is_(None),
        Analysis.trust != Source.trust,
    )


def pending_item_ids(
    session: Session,
    ruleset_version: str,
    text_awaited_since: datetime | None = None,
    limit: int = 10_000,
) -> list[int]:
    """The ids of ``pending_items``, without their text: what a cluster's scheduler hands
    out as analysis tasks. Items fetched after ``text_awaited_since`` that still wait for
    their article's full text are left for later: analysed now, they would be analysed
    again in a moment, when the text arrives."""
    query = (
        select(Item.id)
        .join(Source, Source.id == Item.source_id)
        .outerjoin(Analysis, Analysis.item_id == Item.id)
        .where(Item.purged.is_(False))
        .where(_needs_analysis(ruleset_version))
        .order_by(Item.id)
        .limit(limit)
    )
    if text_awaited_since is not None:
        query = query.where(
            or_(Item.needs_fulltext.is_(False), Item.fetched_at < text_awaited_since)
        )
    return list(session.scalars(query))


def _pending(row: Any) -> PendingItem:
    (
        item_id,
        title,
        text,
        digest,
        trust,
        version,
        previous_hash,
        flagged,
        matches,
        localities,
        alert_id,
        alert_status,
        previous_trust,
        options,
    ) = row
    return PendingItem(
        item_id,
        title,
        text,
        digest,
        trust,
        previous_version=version,
        previous_hash=previous_hash,
        previous_flagged=bool(flagged),
        previous_rules=frozenset(m["rule"] for m in matches or []),
        previous_has_locality=bool(localities),
        alert_id=alert_id,
        alert_status=alert_status,
        previous_trust=previous_trust,
        reference=(options or {}).get("reference"),
    )


def record_ruleset(session: Session, version: str, spec: dict[str, Any]) -> None:
    if session.get(RuleSetRecord, version) is None:
        session.add(RuleSetRecord(version=version, spec=spec))
        session.flush()


def ruleset_spec(session: Session, version: str) -> dict[str, Any] | None:
    row = session.get(RuleSetRecord, version)
    return row.spec if row else None


def mark_current(session: Session, item_id: int, ruleset_version: str) -> None:
    """The rule change cannot affect this item: its result stands under the new version."""
    session.execute(
        update(Analysis).where(Analysis.item_id == item_id).values(ruleset_version=ruleset_version)
    )


def save_analysis(
    session: Session,
    item_id: int,
    ruleset_version: str,
    content_hash: str,
    result: dict[str, Any],
    trust: str,
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
    row.explanation = result.get("explanation")
    row.learned_probability = result.get("learned_probability")
    row.learned_version = result.get("learned_version")
    row.trust = trust
    row.analyzed_at = utcnow()
    alert_id = session.scalar(select(Alert.id).where(Alert.item_id == item_id))
    if alert_id is not None and result["flagged"]:
        # a re-analysis that finds another watched locality routes the alert there too
        record_alert_localities(session, alert_id, mention_keys(result["localities"]))
