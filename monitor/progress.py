"""Progress lines for long commands run by a person at a terminal.

The crawl runs in a child process that reports per source only at its end; while it runs,
a watcher reads each source's last fetch time from the database and prints a line as each
source answers. The service passes no reporter, so its logs stay quiet.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database
from storage.models import Item, Source

Reporter = Callable[[str], None]
POLL_SECONDS = 0.5


@contextmanager
def watch_sources(db: Database, since: datetime, report: Reporter | None) -> Iterator[None]:
    """While the block runs, one line per source that answered since ``since``."""
    if report is None:
        yield
        return
    seen: set[str] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(POLL_SECONDS):
            try:
                _report_new(db, since, report, seen)
            except SQLAlchemyError:  # a busy database only delays a progress line
                continue

    thread = threading.Thread(target=watch, name="progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        _report_new(db, since, report, seen)


def _report_new(db: Database, since: datetime, report: Reporter, seen: set[str]) -> None:
    with db.session() as session:
        rows = session.execute(
            select(Source.name, Source.last_status, Source.last_error_at)
            .where(Source.last_fetched_at >= since)
            .order_by(Source.last_fetched_at)
        ).all()
        counts = dict(
            session.execute(
                select(Source.name, func.count(Item.id))
                .join(Item, Item.source_id == Source.id)
                .where(Item.fetched_at >= since)
                .group_by(Source.name)
            ).all()
        )
    for name, status, error_at in rows:
        if name in seen:
            continue
        seen.add(name)
        failed = error_at is not None and error_at >= since
        state = "failed" if failed else f"answered (HTTP {status})"
        report(f"  {name}: {state}, {counts.get(name, 0)} items stored so far")
