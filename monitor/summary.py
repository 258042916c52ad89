"""Human summaries: the demo's result and `press-monitor status`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from alerts.render import local_time
from storage.db import Database
from storage.models import Alert, Item, Source, utcnow

FAILURE_LIMIT = 3
TZ = "Asia/Ho_Chi_Minh"


def demo_summary(result: object) -> str:
    cycle = result.cycle
    per_source = cycle.collect.per_source
    items = sum(s["new"] for s in per_source.values())
    failed = cycle.collect.failed_sources
    lines = [
        "press-monitor demo: one full cycle against sample outlets on 127.0.0.1",
        f"  sources:  {len(per_source)} collected"
        + (f", failed: {', '.join(failed)}" if failed else ""),
        f"  items:    {items} stored, {cycle.analyzed} analyzed, {cycle.flagged} flagged",
        f"  alerts:   {len(cycle.new_alerts)} new",
    ]
    digest = cycle.digest
    if digest.location:
        lines.append(f"  digest:   {digest.alert_count} alerts written to {digest.location}")
    else:
        lines.append(f"  digest:   {digest.state}")
    lines.append(f"  database: {result.config.database_url}")
    return "\n".join(lines)


def status_report(db: Database, failure_limit: int = FAILURE_LIMIT) -> tuple[str, bool]:
    """Text for `status` and whether every source is healthy."""
    since = utcnow() - timedelta(hours=24)
    healthy = True
    lines = ["Sources:"]
    with db.session() as session:
        recent = dict(
            session.execute(
                select(Item.source_id, func.count())
                .where(Item.fetched_at >= since)
                .group_by(Item.source_id)
            ).all()
        )
        for source in session.scalars(select(Source).order_by(Source.name)):
            failing = source.consecutive_failures >= failure_limit and source.enabled
            healthy &= not failing
            lines.append(
                f"  {source.name:<28} {'enabled' if source.enabled else 'disabled':<8} "
                f"last ok: {local_time(source.last_success_at, TZ):<16}  "
                f"failures in a row: {source.consecutive_failures}  "
                f"items 24h: {recent.get(source.id, 0)}"
                + (
                    f"\n      last error: {source.last_error}"
                    if source.last_error and source.consecutive_failures
                    else ""
                )
                + ("  << FAILING" if failing else "")
            )
        counts = dict(
            session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()
        )
    lines.append(
        "Alert queue: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty")
    )
    return "\n".join(lines), healthy
