"""One running instance per database.

SQLite: an OS file lock (flock) on a file beside the database. PostgreSQL: a session
advisory lock held on a dedicated connection. Both are released by the operating system or
the server when the process dies, however it dies, so a killed instance never blocks the
next start.

A crawl runs in a child process that can outlive a killed service; it must keep the next
instance out until it ends. On SQLite the child inherits the lock file's descriptor (a flock
belongs to the open file, shared by every process holding it); on PostgreSQL the child holds
a shared "crawl" advisory lock, and a new instance checks that no crawler holds it
(storage/locks.py). ``crawl_inheritance`` gives the runner what the child needs.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Connection, make_url

from storage.db import Database
from storage.locks import CRAWL_KEY, INSTANCE_KEY, advisory

PARENT_PID_ENV = "PRESS_MONITOR_PARENT_PID"
_held: list[InstanceLock] = []


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
        _held.append(self)
        return self

    def release(self) -> None:
        if self in _held:
            _held.remove(self)
        if self._conn is not None:
            advisory(self._conn, "pg_advisory_unlock", INSTANCE_KEY)
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
        got = advisory(conn, "pg_try_advisory_lock", INSTANCE_KEY)
        conn.commit()
        if not got:
            conn.close()
            raise AlreadyRunning(
                "another press-monitor is running on this database (PostgreSQL advisory lock held)"
            )
        crawls_free = advisory(conn, "pg_try_advisory_lock", CRAWL_KEY)
        if crawls_free:
            advisory(conn, "pg_advisory_unlock", CRAWL_KEY)
        conn.commit()
        if not crawls_free:
            advisory(conn, "pg_advisory_unlock", INSTANCE_KEY)
            conn.commit()
            conn.close()
            raise AlreadyRunning(
                "another press-monitor is running on this database (a crawler started by an "
                "earlier instance still holds the crawl lock)"
            )
        self._conn = conn


def crawl_inheritance() -> tuple[list[int], dict[str, str]]:
    """File descriptors and environment for a crawler child of the locks held here."""
    fds = [lock._file.fileno() for lock in _held if lock._file is not None]
    env = {PARENT_PID_ENV: str(os.getpid())} if _held else {}
    return fds, env
