"""Read-only aggregates for health reports: `status`, the digest's notices, the overview.

Written in SQLAlchemy Core over light descriptions of the tables they read (names and
types of the columns read here, nothing else), not over the ORM models: `status` runs from
cron and monitoring every few minutes, and importing the ORM and mapping the models' classes
was a quarter of its time. A test holds every description to the models. The functions
take a Connection or a Session, and give rows whose columns read as attributes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, column, func, select, table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Row
    from sqlalchemy.orm import Session

    Reader = Connection | Session

SOURCES = table(
    "sources",
    column("id", Integer),
    column("name", String),
    column("enabled", Boolean),
    column("consecutive_failures", Integer),
    column("last_success_at", DateTime),
    column("last_error", Text),
    column("last_error_at", DateTime),
)
ITEMS = table(
    "items", column("id", Integer), column("source_id", Integer), column("fetched_at", DateTime)
)
ANALYSES = table("analyses", column("item_id", Integer), column("flagged", Boolean))
ALERTS = table(
    "alerts", column("id", Integer), column("item_id", Integer), column("status", String)
)
RUNS = table("runs", column("id", Integer), column("started_at", DateTime))
RUN_SOURCE_STATS = table(
    "run_source_stats",
    column("run_id", Integer),
    column("source_id", Integer),
    column("requests", Integer),
    column("not_modified", Integer),
    column("new_items", Integer),
    column("updated_items", Integer),
    column("errors", Integer),
    column("article_errors", Integer),
    column("api_units", Integer),
    column("error_reasons", JSON),
    column("overflow", JSON),
)
DIGESTS = table(
    "digests",
    column("id", Integer),
    column("state", String),
    column("alert_count", Integer),
    column("error", Text),
    column("created_at", DateTime),
)
SERVICE_JOBS = table(
    "service_jobs",
    column("job_id", String),
    column("description", Text),
    column("next_run_at", DateTime),
    column("last_outcome", Text),
)
DESCRIBED = (SOURCES, ITEMS, ANALYSES, ALERTS, RUNS, RUN_SOURCE_STATS, DIGESTS, SERVICE_JOBS)


def sources(reader: Reader) -> list[Row[Any]]:
    """Every source with its fetch health, by name."""
    return list(reader.execute(select(SOURCES).order_by(SOURCES.c.name)))


def items_since(reader: Reader, since: datetime) -> dict[int, int]:
    """Items fetched since ``since``, per source id."""
    rows = reader.execute(
        select(ITEMS.c.source_id, func.count())
        .where(ITEMS.c.fetched_at >= since)
        .group_by(ITEMS.c.source_id)
    ).all()
    return {source_id: count for source_id, count in rows}


def latest_source_stats(reader: Reader) -> dict[int, Row[Any]]:
    """Each source's counters from the last collection run that touched it."""
    stats = RUN_SOURCE_STATS.c
    newest = (
        select(stats.source_id, func.max(stats.run_id).label("run_id"))
        .group_by(stats.source_id)
        .subquery()
    )
    rows = reader.execute(
        select(RUN_SOURCE_STATS).join(
            newest, (stats.source_id == newest.c.source_id) & (stats.run_id == newest.c.run_id)
        )
    ).all()
    return {row.source_id: row for row in rows}


def alert_counts(reader: Reader) -> dict[str, int]:
    rows = reader.execute(select(ALERTS.c.status, func.count()).group_by(ALERTS.c.status)).all()
    return {status: count for status, count in rows}


def failing_sources(reader: Reader, min_failures: int, not_ok_since: datetime) -> list[Row[Any]]:
    """Enabled sources failing repeatedly with no success since ``not_ok_since``."""
    source = SOURCES.c
    return list(
        reader.execute(
            select(SOURCES)
            .where(
                source.enabled.is_(True),
                source.consecutive_failures >= min_failures,
                (source.last_success_at.is_(None)) | (source.last_success_at < not_ok_since),
            )
            .order_by(source.name)
        )
    )


def api_units_since(reader: Reader, since: datetime) -> dict[int, int]:
    """Quota units platform APIs charged per source since ``since``."""
    stats = RUN_SOURCE_STATS.c
    rows = reader.execute(
        select(stats.source_id, func.sum(stats.api_units))
        .join(RUNS, RUNS.c.id == stats.run_id)
        .where(RUNS.c.started_at >= since)
        .group_by(stats.source_id)
    ).all()
    return {source_id: int(units or 0) for source_id, units in rows if units}


def held_back_alerts(reader: Reader) -> dict[str, int]:
    """Flagged items still without an alert, per source name: what the per-source cap on
    alerts per run held back (later runs take them, strongest first)."""
    rows = reader.execute(
        select(SOURCES.c.name, func.count())
        .select_from(ANALYSES)
        .join(ITEMS, ITEMS.c.id == ANALYSES.c.item_id)
        .join(SOURCES, SOURCES.c.id == ITEMS.c.source_id)
        .outerjoin(ALERTS, ALERTS.c.item_id == ANALYSES.c.item_id)
        .where(ANALYSES.c.flagged.is_(True), ALERTS.c.id.is_(None))
        .group_by(SOURCES.c.name)
        .order_by(SOURCES.c.name)
    ).all()
    return {name: count for name, count in rows}


def last_digest(reader: Reader) -> Row[Any] | None:
    """The newest digest that had something to deliver (empty periods say nothing)."""
    return reader.execute(
        select(DIGESTS).where(DIGESTS.c.state != "empty").order_by(DIGESTS.c.id.desc()).limit(1)
    ).first()


def scheduled_jobs(reader: Reader) -> list[Row[Any]]:
    """What the running service has scheduled (``storage.service_jobs``), soonest first."""
    return list(reader.execute(select(SERVICE_JOBS).order_by(SERVICE_JOBS.c.next_run_at)))
