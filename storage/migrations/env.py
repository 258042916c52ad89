"""Alembic environment: uses the engine handed over by storage.db, or the URL from env."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from alembic import context
from sqlalchemy import Connection, Engine, text

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from storage.db import make_engine

    url = os.environ.get("PRESS_MONITOR_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set PRESS_MONITOR_DATABASE_URL or sqlalchemy.url")
    return make_engine(url)


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild tables; with foreign keys enforced, dropping the old
            # table of a parent would fail. Checked again by foreign_key_check below.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with _sqlite_atomic(connection) if sqlite else nullcontext():
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # one migrating process at a time; released at the end of the transaction
                    connection.execute(text("SELECT pg_advisory_xact_lock(7072657, 1)"))
                context.run_migrations()

                if sqlite:
                    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(f"migration broke foreign keys: {problems[:5]}")
            connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


@contextmanager
def _sqlite_atomic(connection: Connection) -> Iterator[None]:
    """The whole upgrade in one SQLite transaction, its DDL included.

    Python's sqlite3 opens a transaction only before INSERT, UPDATE and DELETE, so each
    CREATE or ALTER committed on its own: a process killed in the middle of a migration (the
    first start of a new database is one) left tables without their alembic version, and
    every later start failed with "table already exists". With the driver's own transaction
    handling off and an explicit BEGIN, a killed or failed upgrade rolls back whole."""
    dbapi = connection.connection.dbapi_connection
    before = dbapi.isolation_level  # type: ignore[union-attr]
    dbapi.isolation_level = None  # type: ignore[union-attr]
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield
    finally:
        if dbapi.in_transaction:  # type: ignore[union-attr]
            dbapi.rollback()  # type: ignore[union-attr]
        dbapi.isolation_level = before  # type: ignore[union-attr]


run_migrations_online()
