"""One running instance per database.

SQLite: an OS file lock (flock) on a file beside the database. PostgreSQL: a session
advisory lock held on a dedicated connection. Both are released by the operating system or
the server when the process dies, however it dies, so a killed instance never blocks the
next start.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from storage.db import Database

ADVISORY_KEY = 0x70726D6E  # "prmn"
# One lock per database and schema (the schema in use comes from the URL's search_path).
_PG_LOCK = "SELECT {fn}(:k, hashtext(current_database() || '/' || current_schema()))"


class AlreadyRunning(RuntimeError):
    """Another press-monitor holds the lock for this database."""


class InstanceLock:
    def __init__(self, db: Database, lock_dir: Path | None = None) -> None:
        self.db = db
        self.lock_dir = lock_dir
        self._file: IO[str] | None = None
        self._conn: Connection | None = None

    def acquire(self) -> InstanceLock:
        if self.db.dialect == "postgresql":
            self._acquire_advisory()
        else:
            self._acquire_file()
        return self

    def release(self) -> None:
        if self._conn is not None:
            self._conn.execute(text(_PG_LOCK.format(fn="pg_advisory_unlock")), {"k": ADVISORY_KEY})
            self._conn.close()
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def _acquire_file(self) -> None:
        path = self.lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunning(
                f"another press-monitor is running on this database (pid {holder}; lock {path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def lock_path(self) -> Path:
        database = make_url(self.db.url).database or "memory"
        path = Path(database)
        if self.lock_dir is not None:
            return self.lock_dir / (path.name + ".lock")
        return path.with_name(path.name + ".lock")

    def _acquire_advisory(self) -> None:
        conn = self.db.engine.connect()
        got = conn.execute(
            text(_PG_LOCK.format(fn="pg_try_advisory_lock")), {"k": ADVISORY_KEY}
        ).scalar()
        conn.commit()
        if not got:
            conn.close()
            raise AlreadyRunning(
                "another press-monitor is running on this database (PostgreSQL advisory lock held)"
            )
        self._conn = conn
