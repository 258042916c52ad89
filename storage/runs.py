"""Runs of pipeline stages and per-source collection counters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.models import Run, RunSourceStat, utcnow


def start_run(session: Session, stage: str) -> Run:
    run = Run(stage=stage, status="running", summary={})
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run_id: int, status: str, summary: dict[str, Any]) -> None:
    run = session.get_one(Run, run_id)
    run.status, run.summary, run.finished_at = status, summary, utcnow()


def close_interrupted_runs(session: Session) -> int:
    """Mark runs left "running" by a killed process as "interrupted".

    Only for a caller holding the instance lock: then no other process can be running one.
    """
    result = session.execute(
        update(Run)
        .where(Run.status == "running")
        .values(status="interrupted", finished_at=utcnow())
    )
    return result.rowcount or 0


def save_source_stats(session: Session, run_id: int, source_id: int, stats: dict[str, Any]) -> None:
    session.add(
        RunSourceStat(
            run_id=run_id,
            source_id=source_id,
            requests=stats.get("requests", 0),
            not_modified=stats.get("not_modified", 0),
            new_items=stats.get("new", 0),
            updated_items=stats.get("updated", 0),
            errors=stats.get("errors", 0),
            article_errors=stats.get("article_errors", 0),
            api_units=stats.get("api_units", 0),
            error_reasons=list(stats.get("error_reasons", []))[:50],
            overflow=dict(stats.get("overflow", {})),
        )
    )
