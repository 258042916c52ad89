"""One-shot commands crawl in their own process (crawler/crawl.py): the same items as the
crawler subprocess, the run timeout, errors counted, SIGTERM finishing in-flight work, the
crawl lock held on PostgreSQL.

The CLI runs as a real process against local HTTP servers; every wait has a deadline.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from monitor.config import load_config
from monitor.fixture_server import FixtureServer, copy_with_base
from monitor.pipeline import collect
from storage.db import Database
from storage.models import Item
from tests.conftest import drop_pg_schema, pg_schema_url
from tests.helpers import HangingFeed as Hang
from tests.helpers import base_config, run_cli, start, wait_for

pytestmark = pytest.mark.slow

FEEDS = Path(__file__).with_name("fixtures") / "feeds"


@pytest.fixture
def hang() -> Iterator[Hang]:
    hang = Hang()
    yield hang
    hang.release.set()


@pytest.fixture
def server(tmp_path: Path, hang: Hang) -> Iterator[FixtureServer]:
    site = tmp_path / "site"
    with FixtureServer(site, routes={"/hang.rss": hang}) as s:
        copy_with_base(FEEDS, site, s.base_url)
        yield s


def feed_sources(base: str) -> list[dict[str, object]]:
    paths = {
        "local-rss": "/tin-dia-phuong.rss",
        "thanh-tri-atom": "/thanh-tri.atom",
        "broken": "/broken.rss",
        "missing": "/missing.rss",
    }
    return [
        {"name": n, "kind": "feed", "url": base + p, "trust": "press"} for n, p in paths.items()
    ]


def hang_source(base: str) -> list[dict[str, object]]:
    return [{"name": "hang", "kind": "feed", "url": base + "/hang.rss", "follow_links": False}]


def config_file(tmp_path: Path, sources: list[dict[str, object]], **crawler: object) -> Path:
    data = base_config()
    data.update(
        sources=sources,
        database_url=f"sqlite:///{tmp_path / 'pm.db'}",
        outbox=str(tmp_path / "outbox"),
    )
    data["crawler"] = {**data.get("crawler", {}), **crawler}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def stored(db_path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "select canonical_url, title, text, author, published_at, needs_fulltext,"
            " content_hash from items order by canonical_url"
        ).fetchall()
    finally:
        conn.close()


def runs(db_path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("select stage, status from runs order by id").fetchall()
    finally:
        conn.close()


def test_collect_crawls_in_its_own_process_and_stores_what_the_subprocess_stores(
    server: FixtureServer, tmp_path: Path
) -> None:
    config = config_file(tmp_path, feed_sources(server.base_url))
    done = run_cli("--config", str(config), "--log-level", "DEBUG", "collect", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "crawling in this process" in done.stderr
    assert "local-rss: 3 requests, 0 not modified, 2 new, 1 updated" in done.stdout, done.stdout

    # the same sources through the crawler subprocess, into another database
    other = tmp_path / "sub.db"
    db = Database(f"sqlite:///{other}")
    try:
        result = collect(db, load_config(config).model_copy(update={"database_url": db.url}))
    finally:
        db.dispose()
    assert result.error is None
    in_process = stored(tmp_path / "pm.db")
    assert len(in_process) == 3
    assert in_process == stored(other)
    assert runs(tmp_path / "pm.db") == [("collect", "done")]


def test_an_in_process_crawl_stops_at_the_run_timeout_and_the_run_fails(
    server: FixtureServer, hang: Hang, tmp_path: Path
) -> None:
    config = config_file(tmp_path, hang_source(server.base_url), run_timeout_seconds=2)
    started = time.monotonic()
    done = run_cli("--config", str(config), "collect", cwd=tmp_path, timeout=90)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr[-3000:]
    assert "run timeout of 2 s" in done.stderr
    assert hang.asked.is_set()
    # stopped at the deadline plus the grace for in-flight requests, not the download timeout
    assert elapsed < 60
    assert runs(tmp_path / "pm.db") == [("collect", "failed")]


def test_errors_in_the_storage_pipeline_fail_an_in_process_run(
    server: FixtureServer, tmp_path: Path
) -> None:
    config = config_file(tmp_path, feed_sources(server.base_url)[:1])
    db_path = tmp_path / "pm.db"
    Database(f"sqlite:///{db_path}").dispose()  # migrated
    conn = sqlite3.connect(db_path)
    # the database refuses to record a successful fetch: an error of the pipeline itself
    conn.execute(
        "create trigger refuse_success before update of last_success_at on sources"
        " begin select raise(abort, 'refused by the test'); end"
    )
    conn.commit()
    conn.close()
    done = run_cli("--config", str(config), "collect", cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "refused by the test" in done.stderr
    assert "collection failed: the crawl counted" in done.stderr
    assert runs(db_path) == [("collect", "failed")]


def test_sigterm_finishes_the_in_flight_request_and_ends_the_command(
    server: FixtureServer, hang: Hang, tmp_path: Path
) -> None:
    config = config_file(tmp_path, hang_source(server.base_url))
    process = start(config, "run", "--once")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        wait_for(hang.asked.is_set, timeout=90)
        process.send_signal(signal.SIGTERM)
        # released only once the crawl has heard the signal: the request is in flight
        wait_for(lambda: any("finishing in-flight" in line for line in lines), timeout=30)
        hang.release.set()
        process.wait(timeout=90)
        reader.join(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    err = "".join(lines)
    assert process.returncode == 128 + signal.SIGTERM, err[-3000:]
    assert "crawl stopped by SIGTERM" in err
    # the request in flight was finished and its item stored; no analysis or digest ran
    db = Database(f"sqlite:///{tmp_path / 'pm.db'}")
    try:
        with db.session() as session:
            assert session.scalars(select(Item.title)).all() == ["Tin chậm"]
    finally:
        db.dispose()
    assert runs(tmp_path / "pm.db") == [("collect", "interrupted")]


@pytest.mark.postgres
def test_an_in_process_crawl_on_postgresql_holds_the_crawl_lock(
    pg_url: str, server: FixtureServer, hang: Hang, tmp_path: Path
) -> None:
    url, schema = pg_schema_url(pg_url)
    try:
        config = config_file(tmp_path, hang_source(server.base_url))
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        config.write_text(yaml.safe_dump({**data, "database_url": url}), encoding="utf-8")
        collecting = start(config, "collect")
        try:
            wait_for(hang.asked.is_set, timeout=90)  # crawling now, in that process
            # no service starts beside a running crawl, as with a crawler subprocess
            beside = run_cli("--config", str(config), "run", "--once", cwd=tmp_path)
            assert beside.returncode == 75, beside.stderr[-3000:]
            assert "crawl lock" in beside.stderr
            hang.release.set()
            _out, err = collecting.communicate(timeout=90)
        finally:
            if collecting.poll() is None:
                os.killpg(collecting.pid, signal.SIGKILL)
        assert collecting.returncode == 0, err[-3000:]
        after = run_cli("--config", str(config), "run", "--once", cwd=tmp_path)
        assert after.returncode == 0, after.stderr[-3000:]
    finally:
        drop_pg_schema(pg_url, schema)


def test_a_crawl_blocked_in_a_database_call_ends_the_process_after_the_deadline(
    pg_url: str, server: FixtureServer, hang: Hang, tmp_path: Path
) -> None:
    """The deadline is handled in the reactor's thread; a storage call blocked there (here a
    row lock another session holds) must not keep the command, and its instance lock, past
    the run timeout: a thread outside the reactor ends the process."""
    import sqlalchemy as sa

    from crawler.crawl import HARD_STOP_EXIT_CODE, HARD_STOP_MARGIN_SECONDS, STOP_GRACE_SECONDS

    url, schema = pg_schema_url(pg_url)
    engine = sa.create_engine(url)
    try:
        config = config_file(tmp_path, hang_source(server.base_url), run_timeout_seconds=2)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        config.write_text(yaml.safe_dump({**data, "database_url": url}), encoding="utf-8")
        collecting = start(config, "collect")
        started = time.monotonic()
        try:
            wait_for(hang.asked.is_set, timeout=90)
            with engine.connect() as locker:
                # the source's row, which the pipeline updates once the feed answers
                locker.execute(sa.text("SELECT * FROM sources FOR UPDATE")).fetchall()
                hang.release.set()
                _out, err = collecting.communicate(timeout=120)
                elapsed = time.monotonic() - started
                locker.rollback()
        finally:
            if collecting.poll() is None:
                os.killpg(collecting.pid, signal.SIGKILL)
        assert collecting.returncode == HARD_STOP_EXIT_CODE, err[-3000:]
        assert "did not stop" in err
        assert elapsed >= 2 + STOP_GRACE_SECONDS + HARD_STOP_MARGIN_SECONDS - 1
        # the run it left running is closed as interrupted by the next cycle
        after = run_cli("--config", str(config), "run", "--once", cwd=tmp_path)
        assert after.returncode == 0, after.stderr[-3000:]
        with engine.connect() as conn:
            statuses = conn.execute(sa.text("SELECT status FROM runs ORDER BY id")).scalars()
            assert next(iter(statuses)) == "interrupted"
    finally:
        engine.dispose()
        drop_pg_schema(pg_url, schema)


_START_FAILS = """
import sys, time
from crawler.crawl import crawl_here
from crawler.runner import CollectionError
from storage.db import Database
db = Database(sys.argv[1])
started = time.monotonic()
try:
    crawl_here(db.url, 1, {"EXTENSIONS": {"crawler.no_such_module.Ext": 500}}, timeout=60)
    print("no error")
except CollectionError as exc:
    print(f"{time.monotonic() - started:.1f} {exc}")
from crawler.runner import crawl
try:  # the crawler subprocess of the service: the same start failure fails its run too
    crawl(db.url, 2, {"EXTENSIONS": {"crawler.no_such_module.Ext": 500}}, timeout=60)
    print("subprocess: no error")
except CollectionError as exc:
    print(f"subprocess: {str(exc).splitlines()[0]}")
"""


def test_a_crawler_that_cannot_start_fails_the_run_at_once(tmp_path: Path) -> None:
    """Scrapy only logs a crawler that cannot start (here an extension that does not
    import); the run fails at once instead of waiting for the deadline (in process) or
    passing (the subprocess)."""
    import subprocess
    import sys

    from tests.helpers import ROOT

    db_url = f"sqlite:///{tmp_path / 'pm.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _START_FAILS, db_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    here, there = done.stdout.strip().splitlines()[-2:]
    seconds, _, message = here.partition(" ")
    assert "could not start" in message, done.stdout + done.stderr[-2000:]
    assert there.startswith("subprocess: crawler exited with 1"), there
    assert float(seconds) < 30  # not the 60 s deadline
    assert "no_such_module" in done.stderr
