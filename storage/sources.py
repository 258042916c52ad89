"""Source rows: synced from config by name, and their fetch state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Source, utcnow

# Sources press-monitor makes itself (not listed in config.yaml): left alone by sync_sources.
INTERNAL_KINDS = ("tipline", "submitted")


def ensure_source(session: Session, name: str, kind: str, url: str, trust: str = "unknown") -> int:
    row = session.scalar(select(Source).where(Source.name == name))
    if row is None:
        row = Source(
            name=name,
            kind=kind,
            url=url,
            trust=trust,
            enabled=True,
            options={},
            consecutive_failures=0,
        )
        session.add(row)
        session.flush()
    return row.id


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str
    kind: str
    url: str
    enabled: bool = True
    trust: str = "press"
    options: dict[str, Any] = field(default_factory=dict)


def sync_sources(session: Session, specs: Iterable[SourceSpec]) -> dict[str, int]:
    """Make the table match config; a source removed from config is disabled, not deleted,
    so its items and history stay."""
    by_name = {s.name: s for s in session.scalars(select(Source))}
    seen: set[str] = set()
    for spec in specs:
        seen.add(spec.name)
        row = by_name.get(spec.name)
        if row is None:
            row = Source(name=spec.name, consecutive_failures=0)
            session.add(row)
            by_name[spec.name] = row
        if row.url != spec.url:
            row.etag = None
            row.last_modified = None
        row.kind, row.url, row.enabled = spec.kind, spec.url, spec.enabled
        row.trust, row.options = spec.trust, dict(spec.options)
    for name, row in by_name.items():
        if name not in seen and row.kind not in INTERNAL_KINDS:
            row.enabled = False

    session.flush()
    return {name: row.id for name, row in by_name.items()}


def enabled_sources(
    session: Session, kinds: Iterable[str], names: Iterable[str] = ()
) -> list[Source]:
    query = select(Source).where(Source.enabled.is_(True), Source.kind.in_(list(kinds)))
    wanted = list(names)
    if wanted:
        query = query.where(Source.name.in_(wanted))
    return list(session.scalars(query.order_by(Source.name)))


def record_success(
    session: Session, source_id: int, status: int, etag: str | None, last_modified: str | None
) -> None:
    row = session.get_one(Source, source_id)
    now = utcnow()
    row.last_status, row.last_fetched_at, row.last_success_at = status, now, now
    if status != 304:
        row.etag, row.last_modified = etag, last_modified
    row.consecutive_failures = 0


def record_failure(
    session: Session, source_id: int, reason: str, status: int | None = None
) -> None:
    row = session.get_one(Source, source_id)
    now = utcnow()
    row.last_status, row.last_fetched_at = status, now
    row.last_error, row.last_error_at = reason[:2000], now
    row.consecutive_failures = (row.consecutive_failures or 0) + 1
