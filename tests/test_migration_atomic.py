"""A schema upgrade on SQLite is one transaction: a migration that fails (or a process
killed) half way leaves the database as it was, so the next start migrates it cleanly
instead of failing on "table already exists"."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

import storage.db as storage_db
from storage.db import Database

_FAILING = '''"""A migration that creates a table, then fails."""

import sqlalchemy as sa
from alembic import op

revision = "0999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_way", sa.Column("id", sa.Integer(), primary_key=True))
    raise RuntimeError("failed half way")


def downgrade() -> None:
    pass
'''


def _tables(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return sorted(name for (name,) in rows)


def test_a_failed_upgrade_of_a_new_database_leaves_it_empty_and_the_next_start_migrates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(storage_db.MIGRATIONS_DIR, migrations)
    (head,) = storage_db.migration_heads()
    (migrations / "versions" / "0999_fails.py").write_text(
        _FAILING.replace("{head}", head), encoding="utf-8"
    )
    database = tmp_path / "pm.db"
    monkeypatch.setattr(storage_db, "MIGRATIONS_DIR", migrations)
    with pytest.raises(RuntimeError, match="failed half way"):
        Database(f"sqlite:///{database}")
    assert _tables(database) == []  # the seventeen migrations before it rolled back too

    monkeypatch.setattr(
        storage_db, "MIGRATIONS_DIR", Path(storage_db.__file__).with_name("migrations")
    )
    db = Database(f"sqlite:///{database}")
    try:
        assert "alembic_version" in _tables(database) and "items" in _tables(database)
        assert storage_db.schema_is_current(db.engine)
    finally:
        db.dispose()


def test_opening_a_new_database_waits_while_another_process_writes_it(tmp_path: Path) -> None:
    """Switching a file to WAL needs an exclusive lock, and SQLite refuses it at once while
    another connection writes (as a command migrating a new database does): opening waits
    for it instead of failing with "database is locked"."""
    import threading

    from sqlalchemy import text

    from storage.db import make_engine

    database = tmp_path / "new.db"
    writer = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE first_migration (id INTEGER PRIMARY KEY)")
    done = threading.Timer(1.0, lambda: writer.execute("COMMIT"))
    done.start()
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.execute(text("SELECT count(*) FROM first_migration")).scalar() == 0
    finally:
        done.join()
        engine.dispose()
        writer.close()
