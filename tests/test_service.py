"""The unattended service as a real subprocess: cycles, hot config, SIGTERM, one instance,
and SIGKILL at any point losing nothing and doubling nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml

from monitor.demo import SITE
from monitor.fixture_server import FixtureServer, copy_with_base
from tests.helpers import base_config, start, wait_for

pytestmark = pytest.mark.slow

SERVICE = {
    "config_check_seconds": 0.5,
    "shutdown_timeout_seconds": 20,
    "misfire_grace_seconds": 60,
    "retention_schedule": "30 3 * * *",
    "max_consecutive_failures": 3,
}


def slow_feed(seconds: float) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(h: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        body = (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
            b"<title>Tin ch\xe1\xba\xadm</title><link>http://127.0.0.1/cham/1.html</link>"
            b"<description>Tin ch\xe1\xba\xadm</description></item></channel></rss>"
        )
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handler


@pytest.fixture
def site(tmp_path: Path) -> Iterator[FixtureServer]:
    root = tmp_path / "site"
    with FixtureServer(root, routes={"/slow.rss": slow_feed(4)}) as server:
        copy_with_base(SITE, root, server.base_url)
        yield server


def write(
    path: Path, base: str, db: Path, interval: float = 0.05, slow: bool = False, **extra: object
) -> Path:
    raw = yaml.safe_load((SITE / "sources.yaml").read_text(encoding="utf-8"))
    sources = [
        {**s, "url": s["url"].replace("{base}", base), "schedule": {"interval_minutes": interval}}
        for s in raw
    ]
    if slow:
        sources.append(
            {"name": "slow", "kind": "feed", "url": base + "/slow.rss", "follow_links": False}
        )
    data = {
        **base_config(),
        "sources": sources,
        "database_url": f"sqlite:///{db}",
        "outbox": str(path.parent / "outbox"),
        "service": SERVICE,
        **extra,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def kill_all(pid: int) -> None:
    """SIGKILL a service's process group and its crawlers' groups (each crawl has its own), as
    systemd kills a unit's whole cgroup."""
    from tests.test_crawl_process import children

    os.killpg(pid, signal.SIGSTOP)  # frozen first, so it starts no crawler meanwhile
    crawlers = children(pid)
    os.killpg(pid, signal.SIGKILL)
    for child in crawlers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child, signal.SIGKILL)


def query(db: Path, sql: str, patience: float = 60) -> list[tuple]:
    """Rows of ``sql``; [] before the database or its tables exist. A locked database (the
    service writing) is read again until ``patience`` runs out, then the test fails: a
    check that could not read has checked nothing."""
    if not db.exists():
        return []
    deadline = time.monotonic() + patience
    while True:
        try:
            with closing(sqlite3.connect(db, timeout=5)) as conn:
                return conn.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # killed before the schema was made
                return []
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise AssertionError(f"could not read {db} ({exc}): {sql}") from exc
            time.sleep(0.2)


def test_service_cycles_reloads_config_and_stops_on_sigterm(
    site: FixtureServer, tmp_path: Path
) -> None:
    db = tmp_path / "pm.db"
    config = write(tmp_path / "config.yaml", site.base_url, db)
    service = start(config, "run")
    try:
        collections = "select count(*) from runs where stage='collect' and status='done'"
        wait_for(lambda: (query(db, collections) or [(0,)])[0][0] >= 2)
        wait_for(lambda: (query(db, "select count(*) from alerts") or [(0,)])[0][0] == 4)

        # a new keyword flags an item that was not flagged before
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["keywords"]["rumour"]["words"].append("hội thi văn hóa")
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        flagged = (
            "select count(*) from alerts a join items i on i.id = a.item_id "
            "where i.title like '%Hội thi văn hóa%'"
        )
        wait_for(lambda: (query(db, flagged) or [(0,)])[0][0] == 1)

        # a broken file is refused and the service goes on with the last good config
        config.write_text("locality: [broken\n", encoding="utf-8")
        before = query(db, collections)[0][0]
        wait_for(lambda: query(db, collections)[0][0] >= before + 2)
        assert service.poll() is None

        status = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor",
                "--config",
                str(write(tmp_path / "status.yaml", site.base_url, db)),
                "status",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert "Service: running" in status.stdout and "collect:every-0.05m" in status.stdout
    finally:
        service.send_signal(signal.SIGTERM)
        _out, err = service.communicate(timeout=60)
    assert service.returncode in (0, 3), err[-2000:]
    assert "config change refused" in err and "invalid YAML" in err
    assert "config reloaded" in err
    assert "service stopped" in err


def test_only_one_instance_runs(site: FixtureServer, tmp_path: Path) -> None:
    db = tmp_path / "pm.db"
    config = write(tmp_path / "config.yaml", site.base_url, db, slow=True)
    first, second = start(config, "run", "--once"), start(config, "run", "--once")
    results = [p.communicate(timeout=120) for p in (first, second)]
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 75], results
    loser_err = results[[first.returncode, second.returncode].index(75)][1]
    assert "another press-monitor is running" in loser_err

    # a lock left by a killed process does not block the next start
    service = start(config, "run")
    wait_for(
        lambda: (query(db, "select count(*) from runs where status='running'") or [(0,)])[0][0] >= 1
    )
    kill_all(service.pid)
    service.wait(timeout=30)
    after = start(config, "run", "--once")
    assert after.wait(timeout=120) == 0, after.stderr.read()


def invariants(db: Path) -> None:
    """Whatever was interrupted: no item twice, one alert per item, one digest per period."""
    assert (
        query(db, "select canonical_url from items group by canonical_url having count(*) > 1")
        == []
    )
    assert query(db, "select item_id from alerts group by item_id having count(*) > 1") == []
    assert (
        query(db, "select period_start from digests group by period_start having count(*) > 1")
        == []
    )
    # every alert is for an item flagged by its analysis (no rules change in these tests);
    # before the schema exists (killed very early) the query finds nothing at all
    unflagged = query(
        db,
        "select count(*) from alerts a left join analyses n "
        "on n.item_id = a.item_id where n.flagged is not 1",
    )
    assert unflagged in ([], [(0,)])


def test_sigkill_at_any_point_loses_nothing_and_doubles_nothing(
    site: FixtureServer, tmp_path: Path
) -> None:
    db = tmp_path / "pm.db"
    config = write(tmp_path / "config.yaml", site.base_url, db, slow=True)
    for delay in (0.5, 2.0, 3.5, 5.0, 6.5):
        process = start(config, "run", "--once")
        time.sleep(delay)
        kill_all(process.pid)  # the crawler child dies with it
        process.wait(timeout=30)
        invariants(db)

    final = start(config, "run", "--once")
    _out, err = final.communicate(timeout=180)
    assert final.returncode == 0, err
    invariants(db)
    assert query(db, "select count(*) from items")[0][0] == 13  # 12 outlets' items + slow
    assert query(db, "select count(*) from alerts")[0][0] == 4
    assert (
        query(
            db,
            "select count(*) from analyses where ruleset_version = "
            "(select ruleset_version from analyses order by id desc limit 1)",
        )[0][0]
        == 13
    )
    sent = query(db, "select count(*) from digests where state = 'sent'")[0][0]
    assert sent == 1
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_sigkill_mid_digest_does_not_send_twice(site: FixtureServer, tmp_path: Path) -> None:
    """Killed after the server has the whole message but before its reply: the next run
    must not send it again; the content the server got is the only one it ever gets."""
    from tests.smtp_server import SmtpServer, free_port

    db = tmp_path / "pm.db"
    port = free_port()
    smtp = {
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "sender": "pm@example.invalid",
        "timeout_seconds": 30,
    }
    config = write(tmp_path / "config.yaml", site.base_url, db, smtp=smtp)
    with SmtpServer(port) as server:
        server.faults.stall_after_data = 4  # the reply to the content comes late
        process = start(config, "run", "--once")
        wait_for(lambda: server.received.data_commands == 1)
        assert query(db, "select state from digests") == [("sending",)]
        kill_all(process.pid)
        process.wait(timeout=30)
        again = start(config, "digest")
        _out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert query(db, "select state from digests") == [("uncertain",)]
    assert server.received.data_commands == 1  # delivered once, never resent
    invariants(db)
