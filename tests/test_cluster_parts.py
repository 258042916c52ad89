"""The cluster's parts one at a time: its config, the leased crawl queue on real Redis,
heartbeats on both databases, `status --json` and `run --role` through the command line
(click's runner, in this process: the cluster test starts real processes)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import scrapy
from click.testing import CliRunner

from crawler.cluster import ClusterSpider, ExpiringDupeFilter, LeasedQueue, consumer_id
from monitor.cli import cli
from monitor.config import ConfigError, load_config
from storage.cluster import beat, leave, live_processes
from storage.db import Database
from tests.helpers import write_config

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True)
def root_logging() -> Iterator[None]:
    """The CLI sets up logging on the root logger; later tests get theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def server() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"Redis not reachable: {exc}")
    yield client
    client.close()


class Spider(scrapy.Spider):
    name = "feeds"

    def parse(self, response: object) -> None:
        """Requests in these tests name this callback."""


def queue(server: redis.Redis, spider: Spider, key: str, consumer: str) -> LeasedQueue:
    q = LeasedQueue(server, spider, key)
    q.consumer = consumer
    q.inflight_key = f"{q.key}:inflight:{consumer}"
    return q


def test_a_killed_crawlers_requests_go_back_to_the_queue(server: redis.Redis) -> None:
    key = f"pmtest-{uuid.uuid4().hex[:8]}:feeds:requests"
    try:
        spider = Spider()
        dead, alive = queue(server, spider, key, "host-a:1"), queue(server, spider, key, "host-b:2")
        for n in range(3):
            dead.push(scrapy.Request(f"http://127.0.0.2/bai/{n}.html", callback=spider.parse))
        taken = [dead.pop(), dead.pop()]
        assert all(r is not None for r in taken)
        assert len(dead) == 1 and server.hlen(dead.inflight_key) == 2

        # one finished and acknowledged, one still in flight when its process dies
        dead.release(taken[0])  # type: ignore[arg-type]
        assert dead.acknowledge() == 1
        assert server.hlen(dead.inflight_key) == 1

        assert alive.requeue("host-a:1") == 1
        urls = {alive.pop().url, alive.pop().url}  # type: ignore[union-attr]
        assert urls == {taken[1].url, "http://127.0.0.2/bai/2.html"}  # type: ignore[union-attr]
        assert alive.pop() is None
        assert not server.exists(dead.inflight_key)
    finally:
        for k in server.scan_iter(key + "*"):
            server.delete(k)


def test_a_lease_waits_until_its_responses_output_is_handled(server: redis.Redis) -> None:
    """Scrapy takes a callback's output ahead of sending it on: the lease of a response the
    scraper still holds is not dropped by the acknowledgement that commits the others."""
    key = f"pmtest-{uuid.uuid4().hex[:8]}:feeds:requests"
    try:
        spider = Spider()
        q = queue(server, spider, key, "host-a:1")
        for n in range(2):
            q.push(scrapy.Request(f"http://127.0.0.2/bai/{n}.html", callback=spider.parse))
        first, second = q.pop(), q.pop()
        assert first is not None and second is not None
        q.release(first)
        q.release(second)
        assert q.acknowledge(busy={second}) == 1
        assert server.hlen(q.inflight_key) == 1
        assert q.acknowledge() == 1
        assert server.hlen(q.inflight_key) == 0
    finally:
        for k in server.scan_iter(key + "*"):
            server.delete(k)


def test_a_request_is_marked_seen_only_with_it_queued(server: redis.Redis) -> None:
    prefix = f"pmtest-{uuid.uuid4().hex[:8]}"
    try:
        spider = Spider()
        q = queue(server, spider, f"{prefix}:feeds:requests", "host-a:1")
        seen = ExpiringDupeFilter(server, f"{prefix}:feeds:dupefilter")
        request = scrapy.Request("http://127.0.0.2/bai/1.html", callback=spider.parse)
        assert q.push_unseen(request, seen)
        assert not q.push_unseen(request.copy(), seen)  # linked twice: queued once
        assert len(q) == 1 and server.scard(seen.key) == 1
        assert server.ttl(seen.key) > 0
        # an article that failed for a passing reason is let through again
        seen.forget(request)
        assert q.push_unseen(request.copy(), seen)
    finally:
        for k in server.scan_iter(prefix + ":*"):
            server.delete(k)


class SourcesSpider(ClusterSpider, scrapy.Spider):
    name = "feeds"

    def make_request_from_data(self, data: bytes) -> list[scrapy.Request]:
        source = json.loads(data)["source_id"]
        return [scrapy.Request(f"http://127.0.0.2/feed-{source}.rss")]


def test_a_killed_crawlers_sources_go_back_to_the_start_list(server: redis.Redis) -> None:
    """Due sources taken from the start list stay in the crawler's in-flight list until
    their requests are queued: a crawler killed in between gives them back."""
    key = f"pmtest-{uuid.uuid4().hex[:8]}:feeds:start_urls"
    try:
        spider = SourcesSpider()
        spider.server, spider.redis_key, spider.redis_batch_size = server, key, 2
        spider.fetch_data = spider.pop_list_queue
        spider.setup_redis()
        sources = [json.dumps({"source_id": n}).encode() for n in range(3)]
        server.rpush(key, *sources)
        inflight = spider.sources_inflight_key()

        taken = spider.next_requests()
        assert next(taken).url.endswith("feed-0.rss")  # the first source's request, queued
        assert server.lrange(inflight, 0, -1) == sources[:2]  # and then the crawler dies
        assert spider.requeue_sources(consumer_id()) == 2
        assert server.lrange(key, 0, -1) == sources
        taken.close()

        urls = [r.url for r in spider.next_requests()]
        assert urls == ["http://127.0.0.2/feed-0.rss", "http://127.0.0.2/feed-1.rss"]
        assert not server.exists(inflight)
        assert server.lrange(key, 0, -1) == sources[2:]
    finally:
        for k in server.scan_iter(key + "*"):
            server.delete(k)


def test_heartbeats_list_the_live_processes(db: Database) -> None:
    with db.session() as session:
        beat(session, "crawler", "may-1", 41, 10)
        beat(session, "worker", "may-2", 42, 0)
    with db.session() as session:
        beat(session, "crawler", "may-1", 41, 25)  # the same row, updated
        leave(session, "worker", "may-2", 42)
    with db.session() as session:
        live = live_processes(session, timedelta(seconds=30))
        assert [(p.role, p.host, p.pid, p.work_done) for p in live] == [
            ("crawler", "may-1", 41, 25)
        ]
        assert live_processes(session, timedelta(seconds=-1)) == []


def test_a_cluster_needs_postgresql_and_a_redis_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "config.yaml", cluster={"redis_url": "http://x"})
    with pytest.raises(ConfigError, match=r"cluster\.redis_url: .*redis://"):
        load_config(config)
    config = write_config(tmp_path / "config.yaml", cluster={"redis_url": REDIS_URL})
    with pytest.raises(ConfigError, match="not PostgreSQL"):
        load_config(config)

    monkeypatch.setenv("PRESS_MONITOR_REDIS_URL", "redis://10.0.0.5:6379/2")
    monkeypatch.setenv("PRESS_MONITOR_DATABASE_URL", "postgresql+psycopg://pm@db/pm")
    config = write_config(tmp_path / "config.yaml")
    assert load_config(config).cluster.redis_url == "redis://10.0.0.5:6379/2"


def test_roles_are_refused_without_a_cluster(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml", database_url=f"sqlite:///{tmp_path / 'pm.db'}")
    result = CliRunner().invoke(cli, ["--config", str(config), "run", "--role", "worker"])
    assert result.exit_code == 2
    assert "run --role needs a cluster" in result.stderr


@pytest.mark.postgres
def test_status_json_prints_the_live_processes(tmp_path: Path, pg_url: str) -> None:
    from tests.conftest import drop_pg_schema, pg_schema_url

    url, schema = pg_schema_url(pg_url)
    try:
        db = Database(url)
        with db.session() as session:
            beat(session, "scheduler", "may-1", 7, 3, leader=True)
            beat(session, "crawler", "may-2", 8, 120)
        db.dispose()
        config = write_config(
            tmp_path / "config.yaml", database_url=url, cluster={"redis_url": REDIS_URL}
        )
        result = CliRunner().invoke(cli, ["--config", str(config), "status", "--json"])
        assert result.exit_code == 0, result.output
        processes = json.loads(result.stdout)
        assert [(p["role"], p["host"], p["pid"], p["work_done"]) for p in processes] == [
            ("crawler", "may-2", 8, 120),
            ("scheduler", "may-1", 7, 3),
        ]
        assert all(p["last_seen"].endswith("Z") for p in processes)
        text = CliRunner().invoke(cli, ["--config", str(config), "status"]).stdout
        assert "scheduler (leader)" in text and "120 items scraped" in text
    finally:
        drop_pg_schema(pg_url, schema)
