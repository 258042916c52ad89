"""Stored reports and bulletins, as the review pages list and serve them.

Reports are kept in the database (not as files under the data directory): the review pages
may run on another machine than the service (PostgreSQL), a backup of the database carries
them, and a download is a row by id, never a path a request could bend.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from storage.models import PressBulletin, Report, utcnow

LATEST = 20


def new_report(
    session: Session, label: str, start: datetime, end: datetime, locality: str | None, fmt: str
) -> Report:
    """The report's row, so its number (the id) is known before the document is written."""
    report = Report(
        period_label=label,
        period_start=start,
        period_end=end,
        locality=locality,
        format=fmt,
        filename="",
        created_at=utcnow(),
    )
    session.add(report)
    session.flush()
    return report


def attach(session: Session, report_id: int, filename: str, content: bytes) -> None:
    report = session.get_one(Report, report_id)
    report.filename, report.content, report.size = filename, content, len(content)


def drop_unfinished(session: Session, report_id: int) -> None:
    report = session.get(Report, report_id)
    if report is not None and report.content is None:
        session.delete(report)


def latest_reports(session: Session, limit: int = LATEST) -> list[Report]:
    return list(
        session.scalars(
            select(Report)
            .options(defer(Report.content))
            .where(Report.content.is_not(None))
            .order_by(Report.id.desc())
            .limit(limit)
        )
    )


def latest_bulletins(session: Session, limit: int = LATEST) -> list[PressBulletin]:
    return list(
        session.scalars(
            select(PressBulletin)
            .options(defer(PressBulletin.text), defer(PressBulletin.html))
            .order_by(PressBulletin.id.desc())
            .limit(limit)
        )
    )
