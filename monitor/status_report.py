"""`press-monitor status`: sources' health, the alert queue, the last digest, the
service's next runs and a cluster's live processes.

Read with SQLAlchemy Core (``storage.status``): cron and monitoring run `status` every few
minutes, and the ORM's import and mapping were a quarter of its time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from alerts.local_times import local_time as _local_time
from storage.clock import utcnow
from storage.db import Database
from storage.status import (
    alert_counts,
    api_units_since,
    held_back_alerts,
    items_since,
    last_digest,
    latest_source_stats,
    scheduled_jobs,
    sources,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

FAILURE_LIMIT = 3
STUCK_AFTER = timedelta(hours=1)  # a digest pending or sending this long is stuck
TZ = "Asia/Ho_Chi_Minh"


def local_time(value: object, timezone: str) -> str:
    """As analysts' pages show times, but English ("never") where there is none: this is
    the command line."""
    return _local_time(value, timezone) if value is not None else "never"  # type: ignore[arg-type]


def status_report(db: Database, failure_limit: int = FAILURE_LIMIT) -> tuple[str, bool]:
    """Text for `status` and whether every enabled source is healthy."""
    lines = ["Sources (times in Asia/Ho_Chi_Minh):"]
    healthy = True
    with db.engine.connect() as conn:
        recent = items_since(conn, utcnow() - timedelta(hours=24))
        units = api_units_since(conn, utcnow() - timedelta(hours=24))
        last_stats = latest_source_stats(conn)
        for source in sources(conn):
            failing = source.enabled and source.consecutive_failures >= failure_limit
            healthy &= not failing
            lines += _source_lines(
                source, recent.get(source.id, 0), last_stats.get(source.id), failing
            )
            if source.id in units:
                lines.append(f"      API quota used in the last 24 h: {units[source.id]} units")

        counts = alert_counts(conn)
        held = held_back_alerts(conn)
        digest_line, digest_ok = _digest_line(last_digest(conn))
    queue = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"
    lines.append(f"Alert queue: {queue}")
    lines += [
        f"  {name}: {count} flagged items wait for an alert (limits.alerts_per_source_per_run)"
        for name, count in held.items()
    ]
    lines.append(digest_line)
    return "\n".join(lines), healthy and digest_ok


def _digest_line(digest: Row[Any] | None) -> tuple[str, bool]:
    """The newest digest that carried something, and whether it is a problem."""
    if digest is None:
        return "Last digest: none yet", True
    when = local_time(digest.created_at, TZ)
    line = f"Last digest: #{digest.id} {digest.state} ({digest.alert_count} alerts, {when})"
    stuck = digest.state in ("pending", "sending") and utcnow() - digest.created_at > STUCK_AFTER
    if digest.state in ("failed", "rejected", "uncertain") or stuck:
        reason = "stuck" if stuck else digest.state
        return f"{line}  << DIGEST {reason.upper()}: {digest.error or 'no error recorded'}", False
    return line, True


def overflow_text(overflow: dict[str, int]) -> str:
    """One line of what a source offered beyond the crawler's caps in its last run."""
    return (
        f"over the caps: {overflow.get('entries', 0)} feed entries, "
        f"{overflow.get('links', 0)} article links, {overflow.get('truncated', 0)} texts truncated"
    )


def _source_lines(
    source: Row[Any], recent: int, stats: Row[Any] | None, failing: bool
) -> list[str]:
    state = "enabled" if source.enabled else "disabled"
    lines = [
        f"  {source.name:<28} {state:<8} last ok: {local_time(source.last_success_at, TZ):<16}"
        f"  failures in a row: {source.consecutive_failures}  items 24h: {recent}"
        + ("  << FAILING" if failing else "")
    ]
    if stats is not None:
        lines.append(
            f"      last run: {stats.requests} requests, {stats.not_modified} not modified, "
            f"{stats.new_items} new, {stats.updated_items} updated, {stats.errors} errors, "
            f"{stats.article_errors} article errors"
            + (f", {stats.api_units} API quota units" if stats.api_units else "")
        )
        if stats.overflow:
            lines.append("      " + overflow_text(stats.overflow))

        if stats.errors and not source.consecutive_failures:  # entries lost, feed fetched
            reasons = [r for r in stats.error_reasons if "not stored" in r] or stats.error_reasons
            lines += [f"      error: {reason[:300]}" for reason in reasons[:3]]

    if source.last_error and source.consecutive_failures:
        lines.append(
            f"      last error ({local_time(source.last_error_at, TZ)}): {source.last_error}"
        )
    return lines


def jobs_report(db: Database, running: bool) -> str:
    if not running:
        return "Service: not running"
    with db.engine.connect() as conn:
        jobs = scheduled_jobs(conn)
    lines = ["Service: running; next runs (Asia/Ho_Chi_Minh):"]
    lines += [
        f"  {local_time(job.next_run_at, TZ):<16}  {job.job_id:<28} {job.description}"
        + (f"  (last: {job.last_outcome})" if job.last_outcome else "")
        for job in jobs
    ]
    return "\n".join(lines)


def live_processes(db: Database, silent_seconds: float) -> list[dict[str, object]]:
    """A cluster's processes heard from recently, as `status --json` prints them (times in
    UTC, ISO 8601)."""
    from storage.cluster import live_processes as live

    with db.session() as session:
        rows = live(session, timedelta(seconds=silent_seconds))
        return [
            {
                "role": p.role,
                "host": p.host,
                "pid": p.pid,
                "last_seen": p.last_seen.isoformat() + "Z",
                "started_at": p.started_at.isoformat() + "Z",
                "work_done": p.work_done,
                "leader": p.leader,
            }
            for p in rows
        ]


WORK_DONE = {"crawler": "items scraped", "worker": "items analysed", "scheduler": "jobs run"}


def cluster_report(processes: list[dict[str, object]]) -> str:
    if not processes:
        return "Cluster: no live process"
    lines = [f"Cluster: {len(processes)} live processes (last heartbeat, Asia/Ho_Chi_Minh):"]
    for p in processes:
        role = str(p["role"])
        seen = local_time(datetime.fromisoformat(str(p["last_seen"]).rstrip("Z")), TZ)
        lead = " (leader)" if p["leader"] else ""
        lines.append(
            f"  {role + lead:<20} {p['host']}:{p['pid']:<8} {seen}  "
            f"{p['work_done']} {WORK_DONE.get(role, 'done')}"
        )
    return "\n".join(lines)
