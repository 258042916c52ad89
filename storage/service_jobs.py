"""What the running service has scheduled, readable by `status` from another process
(``storage.status.scheduled_jobs``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.models import ServiceJob, utcnow


def publish_jobs(session: Session, jobs: dict[str, tuple[str, datetime | None]]) -> None:
    """Replace the job list with ``{job_id: (description, next run in naive UTC)}``."""
    session.execute(delete(ServiceJob).where(ServiceJob.job_id.not_in(list(jobs) or [""])))
    for job_id, (description, next_run) in jobs.items():
        row = session.get(ServiceJob, job_id) or ServiceJob(job_id=job_id)
        row.description, row.next_run_at = description, next_run
        session.add(row)


def record_job_run(session: Session, job_id: str, outcome: str) -> None:
    row = session.get(ServiceJob, job_id)
    if row is not None:
        row.last_run_at, row.last_outcome = utcnow(), outcome[:500]


def clear_jobs(session: Session) -> None:
    session.execute(delete(ServiceJob))
