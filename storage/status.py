"""Read-only aggregates for health reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Alert, Analysis, Digest, Item, Run, RunSourceStat, Source


def items_since(session: Session, since: datetime) -> dict[int, int]:
    """Items fetched since ``since``, per source id."""
    rows = session.execute(
        select(Item.source_id, func.count())
        .where(Item.fetched_at >= since)
        .group_by(Item.source_id)
    ).all()
    return {source_id: count for source_id, count in rows}


def latest_source_stats(session: Session) -> dict[int, RunSourceStat]:
    """Each source's counters from the last collection run that touched it."""
    newest = (
        select(RunSourceStat.source_id, func.max(RunSourceStat.run_id).label("run_id"))
        .group_by(RunSourceStat.source_id)
        .subquery()
    )
    rows = session.scalars(
        select(RunSourceStat).join(
            newest,
            (RunSourceStat.source_id == newest.c.source_id)
            & (RunSourceStat.run_id == newest.c.run_id),
        )
    ).all()
    return {row.source_id: row for row in rows}


def alert_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()
    return {status: count for status, count in rows}


def failing_sources(session: Session, min_failures: int, not_ok_since: datetime) -> list[Source]:
    """Enabled sources failing repeatedly with no success since ``not_ok_since``."""
    return list(
        session.scalars(
            select(Source)
            .where(
                Source.enabled.is_(True),
                Source.consecutive_failures >= min_failures,
                (Source.last_success_at.is_(None)) | (Source.last_success_at < not_ok_since),
            )
            .order_by(Source.name)
        )
    )


def api_units_since(session: Session, since: datetime) -> dict[int, int]:
    """Quota units platform APIs charged per source since ``since``."""
    rows = session.execute(
        select(RunSourceStat.source_id, func.sum(RunSourceStat.api_units))
        .join(Run, Run.id == RunSourceStat.run_id)
        .where(Run.started_at >= since)
        .group_by(RunSourceStat.source_id)
    ).all()
    return {source_id: int(units or 0) for source_id, units in rows if units}


def held_back_alerts(session: Session) -> dict[str, int]:
    """Flagged items still without an alert, per source name: what the per-source cap on
    alerts per run held back (later runs take them, strongest first)."""
    rows = session.execute(
        select(Source.name, func.count())
        .select_from(Analysis)
        .join(Item, Item.id == Analysis.item_id)
        .join(Source, Source.id == Item.source_id)
        .outerjoin(Alert, Alert.item_id == Analysis.item_id)
        .where(Analysis.flagged.is_(True), Alert.id.is_(None))
        .group_by(Source.name)
        .order_by(Source.name)
    ).all()
    return {name: count for name, count in rows}


def last_digest(session: Session) -> Digest | None:
    """The newest digest that had something to deliver (empty periods say nothing)."""
    return session.scalar(
        select(Digest).where(Digest.state != "empty").order_by(Digest.id.desc()).limit(1)
    )
