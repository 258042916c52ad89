"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable) and servers.

On CI (CI=true or PRESS_MONITOR_REQUIRE_POSTGRES=1) an unreachable PostgreSQL fails the
PostgreSQL tests instead of skipping them.

`make test` runs the suite in parallel (pytest-xdist, one worker process per CPU), so
everything a test touches must be private to it or safe to share: tmp_path (one base folder
per worker), a PostgreSQL schema per test, a Redis key prefix per test, ports chosen free at
run time, and the gazetteer cache below, shared by all workers and their subprocesses and
written atomically. Tests that share anything else fixed (a port, a file) carry the same
@pytest.mark.exclusive("name") and so never run at the same time (a file lock per name, held
for the test; xdist's own xdist_group is not honoured with pytest 9: xdist 3.8 renames the
test through an attribute pytest 9 no longer reads).
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.db import Database

PG_URL = os.environ.get(
    "PRESS_MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = (
    os.environ.get("CI") == "true" or os.environ.get("PRESS_MONITOR_REQUIRE_POSTGRES") == "1"
)
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).with_name("fixtures")
CACHE_ENV = "PRESS_MONITOR_CACHE"


def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's temporary folder, the same for every xdist worker."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def gazetteer_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One gazetteer cache for the whole run, in the run's temporary folder: every test and
    every CLI or crawler subprocess it starts reads the gazetteer built once (not once per
    process), and the user's own cache is never touched. Under xdist the folder is the
    run's, above each worker's, so workers share it (entries are renamed into place)."""
    cache = _run_dir(tmp_path_factory) / "press-monitor-cache"
    cache.mkdir(exist_ok=True)
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(cache)
    try:
        yield cache
    finally:
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before


@pytest.fixture(autouse=True)
def _exclusive(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Hold the file lock of each @pytest.mark.exclusive("name") for the whole test, so tests
    sharing a fixed resource wait for one another on any worker."""
    names = sorted({m.args[0] for m in request.node.iter_markers("exclusive")})
    if not names:
        yield
        return
    folder = _run_dir(tmp_path_factory) / "locks"
    folder.mkdir(exist_ok=True)
    handles = [(folder / f"{name}.lock").open("a") for name in names]
    try:
        for handle in handles:  # in name order, so two tests never wait on each other
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        for handle in handles:
            handle.close()  # closing releases the lock


def _pg_available() -> str | None:
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means "not reachable" here
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    problem = _pg_available()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required on CI but unreachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    yield PG_URL


def pg_schema_url(base: str) -> tuple[str, str]:
    """A fresh schema per test, selected by search_path, so tests never see each other."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def drop_pg_schema(base: str, schema: str) -> None:
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each backend, empty and private to the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    base = request.getfixturevalue("pg_url")
    url, schema = pg_schema_url(base)
    try:
        yield url
    finally:
        drop_pg_schema(base, schema)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    try:
        yield database
    finally:
        database.dispose()
