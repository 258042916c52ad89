"""Source rows: synced from config by name, and their fetch state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import NoResultFound

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


_SOURCES = Source.__table__
# One UPDATE, built once, instead of loading the row and flushing it: the crawl records a
# success per feed, and the ORM's load, change tracking and flush cost several times the
# statement. A 304 keeps the validators the source already has.
_SUCCESS = (
    update(_SOURCES)
    .where(_SOURCES.c.id == bindparam("b_id"))
    .values(
        last_status=bindparam("b_status"),
        last_fetched_at=bindparam("b_now"),
        last_success_at=bindparam("b_now"),
        consecutive_failures=0,
    )
)
_SUCCESS_WITH_VALIDATORS = _SUCCESS.values(
    etag=bindparam("b_etag"), last_modified=bindparam("b_last_modified")
)


def record_success(
    session: Session, source_id: int, status: int, etag: str | None, last_modified: str | None
) -> None:
    """The fetch state after a good fetch; NoResultFound when there is no such source.

    A Core UPDATE: a ``Source`` already loaded in the same session does not see it (every
    caller records in a session of its own)."""
    params = {"b_id": source_id, "b_status": status, "b_now": utcnow()}
    if status == 304:
        result = session.execute(_SUCCESS, params)
    else:
        params |= {"b_etag": etag, "b_last_modified": last_modified}
        result = session.execute(_SUCCESS_WITH_VALIDATORS, params)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NoResultFound(f"no source with id {source_id}")


def record_failure(
    session: Session, source_id: int, reason: str, status: int | None = None
) -> None:
    row = session.get_one(Source, source_id)
    now = utcnow()
    row.last_status, row.last_fetched_at = status, now
    row.last_error, row.last_error_at = reason[:2000], now
    row.consecutive_failures = (row.consecutive_failures or 0) + 1
