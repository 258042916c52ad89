"""The crawl subprocess: a timeout, its own process group killed whole, the instance lock held
across it, stale runs closed at start-up, and no database URL on its command line.

Real subprocesses against a local server whose feed hangs until the test releases it; every
wait has a deadline.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from monitor.config import load_config
from monitor.fixture_server import FixtureServer
from monitor.pipeline import collect
from storage.db import Database
from tests.conftest import drop_pg_schema, pg_schema_url
from tests.helpers import HangingFeed as Hang
from tests.helpers import base_config, start, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def hang() -> Hang:
    return Hang()


@pytest.fixture
def server(hang: Hang) -> Iterator[FixtureServer]:
    with FixtureServer(routes={"/hang.rss": hang}) as s:
        try:
            yield s
        finally:
            hang.release.set()


def children(parent: int) -> list[int]:
    """Live processes whose parent is ``parent`` and that run the crawler."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and fields[0] != "Z" and b"crawler" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def config_data(base: str, db_url: str, tmp_path: Path, **crawler: object) -> dict:
    data = base_config()
    data.update(
        sources=[
            {
                "name": "hang",
                "kind": "feed",
                "url": base + "/hang.rss",
                "follow_links": False,
                "schedule": {"interval_minutes": 60},
            }
        ],
        database_url=db_url,
        outbox=str(tmp_path / "outbox"),
        service={"config_check_seconds": 0.5, "shutdown_timeout_seconds": 4},
    )
    data["crawler"] = {**data.get("crawler", {}), **crawler}
    return data


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_database_url_is_not_on_the_crawler_command_line(
    pg_url: str, server: FixtureServer, hang: Hang, tmp_path: Path
) -> None:
    with_password = pg_url.replace("postgres@", "postgres:s3cret-pw@", 1)
    assert "s3cret-pw" in with_password
    url, schema = pg_schema_url(with_password)
    db = Database(url)
    try:
        config = load_config(
            write(tmp_path / "c.yaml", config_data(server.base_url, url, tmp_path))
        )
        outcome: dict[str, object] = {}
        worker = threading.Thread(target=lambda: outcome.update(r=collect(db, config)))
        worker.start()
        child = wait_for(lambda: children(os.getpid()))[0]  # type: ignore[index]
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().decode()
        hang.release.set()
        worker.join(timeout=120)
        assert not worker.is_alive()
        assert "s3cret-pw" not in cmdline and "postgresql" not in cmdline, cmdline
        assert outcome["r"].error is None  # type: ignore[attr-defined]
        assert outcome["r"].per_source["hang"]["new"] == 1  # type: ignore[attr-defined]
    finally:
        db.dispose()
        drop_pg_schema(pg_url, schema)


def test_a_hung_crawl_is_killed_at_the_timeout_with_its_process_group(
    server: FixtureServer, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'pm.db'}"
    data = config_data(server.base_url, db_url, tmp_path, run_timeout_seconds=3)
    config = load_config(write(tmp_path / "c.yaml", data))
    db = Database(db_url)
    outcome: dict[str, object] = {}
    worker = threading.Thread(target=lambda: outcome.update(r=collect(db, config)))
    worker.start()
    child = wait_for(lambda: children(os.getpid()))[0]  # type: ignore[index]
    assert os.getpgid(child) == child  # its own process group, killed as one
    worker.join(timeout=60)
    assert not worker.is_alive(), "collect did not return after the run timeout"
    result = outcome["r"]
    assert "timeout" in (result.error or "")  # type: ignore[attr-defined]
    wait_for(lambda: not alive(child), timeout=10)
    with db.session() as session:
        status = session.execute(sa.text("select status from runs")).scalars().all()
    assert status == ["failed"]
    db.dispose()


def test_sigterm_to_the_service_kills_a_hung_crawl(server: FixtureServer, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'pm.db'}"
    config = write(tmp_path / "c.yaml", config_data(server.base_url, db_url, tmp_path))
    service = start(config, "run")
    try:
        child = wait_for(lambda: children(service.pid), timeout=90)[0]  # type: ignore[index]
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=60)
        # stopped at a safe point (3) or killed at the deadline (4): either way, not left behind
        assert service.returncode in (3, 4), service.stderr.read()[-2000:]  # type: ignore[union-attr]
        wait_for(lambda: not alive(child), timeout=10)
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGKILL)


def test_a_killed_service_keeps_its_crawl_locked_and_its_run_is_closed_later(
    db_url: str, server: FixtureServer, hang: Hang, tmp_path: Path
) -> None:
    config = write(tmp_path / "c.yaml", config_data(server.base_url, db_url, tmp_path))
    service = start(config, "run")
    child = None
    try:
        child = wait_for(lambda: children(service.pid), timeout=90)[0]  # type: ignore[index]
        wait_for(lambda: any(p == "/hang.rss" for p, _ in server.requests))  # crawling now
        os.kill(service.pid, signal.SIGKILL)  # the parent only, as an OOM killer would
        service.wait(timeout=30)
        assert alive(child)

        second = start(config, "run", "--once")
        _out, err = second.communicate(timeout=120)
        assert second.returncode == 75, err[-2000:]
        assert "another press-monitor is running" in err
        assert alive(child)

        os.killpg(child, signal.SIGKILL)
        wait_for(lambda: not alive(child), timeout=10)
        hang.release.set()
        third = start(config, "run", "--once")
        _out, err = third.communicate(timeout=180)
        assert third.returncode == 0, err[-2000:]
    finally:
        if child is not None and alive(child):
            os.killpg(child, signal.SIGKILL)
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGKILL)

    db = Database(db_url)
    with db.session() as session:
        rows = session.execute(
            sa.text("select status from runs where stage = 'collect' order by id")
        ).all()
    db.dispose()
    assert [r[0] for r in rows] == ["interrupted", "done"]
