"""Alembic environment: uses the engine handed over by storage.db, or the URL from env."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine, text

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
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
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


run_migrations_online()
