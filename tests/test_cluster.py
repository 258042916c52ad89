"""A cluster on real Redis and PostgreSQL: one scheduler, two crawlers, two workers, 200
feeds on 20 hosts; one crawler and one worker killed with SIGKILL mid-run. At the end every
item is stored once, with its article text, and analysed once; every flagged item has one
alert; every alert went out in one digest period, by real SMTP, each commune's alerts to its
own analyst only and all of them to the province, and no message twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
import yaml

from tests.cluster_outlets import COMMUNES, Article, feed_sources, outlets
from tests.conftest import drop_pg_schema, pg_schema_url
from tests.helpers import base_config
from tests.smtp_server import SmtpServer, free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
FEEDS, HOSTS, ENTRIES = 200, 20, 2
DEAD_AFTER = 5
PROVINCE = "tinh@example.invalid"
# each commune of the outlets' articles is a watched locality with an analyst of its own
LOCALITIES = {
    commune: {
        "key": key,
        "name": f"Xã {commune}",
        "province": "Quảng Ngãi",
        "communes": [commune],
        "analysts": [f"xa-{key}@example.invalid"],
    }
    for commune, key in zip(COMMUNES, ["bo-y", "duc-nong", "sa-loong"], strict=True)
}


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis, removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"pmtest-{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    url, schema = pg_schema_url(pg_url)
    try:
        yield url
    finally:
        drop_pg_schema(pg_url, schema)


class Cluster:
    """The role processes, each in its own process group, logging to files."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PRESS_MONITOR_")}

    def start(self, name: str, role: str) -> None:
        log = (self.config.parent / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(self.config), "run", "--role", role],
            cwd=self.config.parent,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n"
            + (self.config.parent / f"{name}.log").read_text(errors="replace")[-3000:]
            for name in self.processes
        )

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None and process.returncode != -signal.SIGKILL:
                raise AssertionError(f"{name} exited with {process.returncode}\n{self.logs()}")


def wait_for(
    what: str,
    check: Callable[[], Any],
    cluster: Cluster,
    deadline: float,
    progress: Callable[[], object] = lambda: "",
) -> Any:
    while True:
        cluster.check_alive()
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} {progress()}\n{cluster.logs()}")
        time.sleep(0.3)


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def write_cluster_config(
    tmp_path: Path, db_url: str, prefix: str, bases: list[str], port: int
) -> Path:
    data = base_config()
    data.pop("locality")
    data.update(
        localities=list(LOCALITIES.values()),
        sources=feed_sources(bases, FEEDS),
        database_url=db_url,
        outbox=str(tmp_path / "outbox"),
        analysts=[PROVINCE],
        smtp={"host": "127.0.0.1", "port": port, "tls": "none", "sender": "pm@example.invalid"},
        # not due during the test (the first digest is due at once): the test fires it
        digest={"schedule": "0 0 1 1 *", "max_alerts": 500},
        cluster={
            "redis_url": REDIS_URL,
            "key_prefix": prefix,
            "heartbeat_seconds": 1,
            "dead_after_seconds": DEAD_AFTER,
            "dispatch_seconds": 1,
            "analysis_batch": 20,
        },
    )
    data["crawler"].update(allow_private_hosts=["127.0.0.0/8"], autothrottle=False)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.postgres
def test_cluster_loses_nothing_when_a_crawler_and_a_worker_are_killed(
    tmp_path: Path, pg_schema: str, redis_prefix: str
) -> None:
    from monitor.config import load_config
    from monitor.tasks import Tasks
    from monitor.wiring import cluster_options
    from storage.db import Database

    Database(pg_schema).dispose()  # migrated once, not raced by five processes
    engine = sa.create_engine(pg_schema)
    client = redis.Redis.from_url(REDIS_URL)
    expected_items = FEEDS * ENTRIES
    flagged_titles = [
        a.title for f in range(FEEDS) for n in range(ENTRIES) if (a := Article(f, n)).flagged
    ]
    port = free_port()
    with outlets(HOSTS, ENTRIES) as bases, SmtpServer(port) as smtp:
        config = write_cluster_config(tmp_path, pg_schema, redis_prefix, bases, port)
        cluster = Cluster(config)
        try:
            for name, role in [
                ("scheduler", "scheduler"),
                ("crawler-a", "crawler"),
                ("crawler-b", "crawler"),
                ("worker-a", "worker"),
                ("worker-b", "worker"),
            ]:
                cluster.start(name, role)
            deadline = time.monotonic() + 150  # about 60 s on a loaded 2-core machine

            # crawler-a is killed while it holds leased requests, before the crawl is done
            victim = cluster.processes["crawler-a"].pid
            inflight = f"{redis_prefix}:feeds:requests:inflight:*:{victim}"

            def crawler_a_busy() -> bool:
                stored = scalar(engine, "select count(*) from items where not needs_fulltext")
                return stored >= 20 and any(client.hlen(k) for k in client.scan_iter(inflight))

            wait_for("crawler-a to hold requests", crawler_a_busy, cluster, deadline)
            held = sum(client.hlen(key) for key in client.scan_iter(inflight))
            cluster.kill("crawler-a")
            texts_left = expected_items - scalar(
                engine, "select count(*) from items where not needs_fulltext"
            )
            assert held > 0

            # worker-a is killed once it has analysed something, with items still pending
            worker_pid = cluster.processes["worker-a"].pid
            wait_for(
                "worker-a to analyse",
                lambda: scalar(
                    engine,
                    "select work_done from cluster_processes where pid = :p and role = 'worker'",
                    p=worker_pid,
                ),
                cluster,
                deadline,
            )
            cluster.kill("worker-a")

            def progress() -> dict[str, int]:
                return {
                    "with text": scalar(
                        engine, "select count(*) from items where not needs_fulltext"
                    ),
                    "analysed": scalar(
                        engine,
                        "select count(*) from analyses a join items i on i.id = a.item_id "
                        "where a.content_hash = i.content_hash",
                    ),
                    "alerts": scalar(engine, "select count(*) from alerts"),
                    "alerts sent": scalar(
                        engine,
                        "select count(*) from alerts a join digests d on d.id = a.digest_id "
                        "where d.state = 'sent'",
                    ),
                }

            done = {
                "with text": expected_items,
                "analysed": expected_items,
                "alerts": len(flagged_titles),
                "alerts sent": 0,
            }
            wait_for(
                "every item stored, analysed and alerted",
                lambda: progress() == done,
                cluster,
                deadline,
                progress,
            )
            # the digest fires twice, as the scheduler's job would after a failover
            tasks = Tasks(cluster_options(load_config(config)))  # type: ignore[arg-type]
            tasks.send_digest.send()
            tasks.send_digest.send()
            tasks.close()
            done["alerts sent"] = len(flagged_titles)
            wait_for("the digest", lambda: progress() == done, cluster, deadline, progress)
            wait_for(
                "the killed processes to fall silent",
                lambda: (
                    scalar(
                        engine,
                        "select count(*) from cluster_processes where pid in (:a, :b) and "
                        "last_seen > (now() at time zone 'utc') - make_interval(secs => :s)",
                        a=victim,
                        b=worker_pid,
                        s=DEAD_AFTER + 1,
                    )
                    == 0
                ),
                cluster,
                deadline,
            )
            status = subprocess.run(
                [sys.executable, "-m", "monitor", "--config", str(config), "status", "--json"],
                env=cluster.env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
        finally:
            cluster.stop()
    client.close()

    # the killed crawler's requests were taken up: every article page was stored
    assert texts_left > 0  # it was killed mid-crawl
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select canonical_url, count(*) from items group by 1")).all()
        assert len(rows) == expected_items and all(count == 1 for _, count in rows)
        assert scalar(engine, "select count(*) from analyses") == expected_items
        assert scalar(engine, "select count(distinct item_id) from analyses") == expected_items
        flagged = scalar(engine, "select count(*) from analyses where flagged")
        assert flagged == len(flagged_titles)
        assert (
            scalar(
                engine,
                "select count(*) from analyses a join alerts al on al.item_id = a.item_id "
                "where a.flagged",
            )
            == flagged
        )
    engine.dispose()

    # one digest period: each audience got one message, sent once; the province every
    # alert, each commune's analyst its own commune's alerts and no other's
    received: dict[str, list[str]] = {}
    for message, (_, recipients) in zip(
        smtp.received.messages, smtp.received.envelopes, strict=True
    ):
        for recipient in recipients:
            received.setdefault(recipient, []).append(message.get_body(("plain",)).get_content())
    expected = {PROVINCE, *(loc["analysts"][0] for loc in LOCALITIES.values())}
    assert set(received) == expected
    assert all(len(bodies) == 1 for bodies in received.values()), "one message each, once"
    flagged_articles = [
        a for f in range(FEEDS) for n in range(ENTRIES) if (a := Article(f, n)).flagged
    ]
    for a in flagged_articles:
        assert received[PROVINCE][0].count(a.title) == 1, a.title
        for commune, loc in LOCALITIES.items():
            count = received[loc["analysts"][0]][0].count(a.title)
            assert count == (1 if commune == a.commune else 0), (a.title, commune)

    # status --json: the live processes, the killed ones gone silent
    processes = json.loads(status.stdout)
    roles = sorted(p["role"] for p in processes)
    assert roles == ["crawler", "scheduler", "worker"], processes
    for p in processes:
        assert {"role", "host", "pid", "last_seen"} <= set(p)
        assert p["pid"] not in (victim, worker_pid)
