"""Feed collection through the real crawler subprocess against a local HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.config import Config, Source, load_config
from monitor.fixture_server import FixtureServer, copy_with_base
from monitor.pipeline import collect
from storage.db import Database
from storage.models import Item
from storage.models import Source as SourceRow
from tests.helpers import ROOT, local_crawler

FEEDS = Path(__file__).with_name("fixtures") / "feeds"


def _empty(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _error(handler: BaseHTTPRequestHandler) -> None:
    body = b"internal error"
    handler.send_response(500)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[FixtureServer]:
    site = tmp_path / "site"
    server = FixtureServer(site, routes={"/empty.rss": _empty, "/error.rss": _error})
    with server:
        copy_with_base(FEEDS, site, server.base_url)
        yield server


def feed_config(base_url: str, db_url: str) -> Config:
    names = {
        "local-rss": "/tin-dia-phuong.rss",
        "thanh-tri-atom": "/thanh-tri.atom",
        "broken": "/broken.rss",
        "html-page": "/not-a-feed.rss",
        "missing": "/missing.rss",
        "server-error": "/error.rss",
        "empty": "/empty.rss",
    }
    sources = [
        Source(name=n, kind="feed", url=base_url + p, trust="press") for n, p in names.items()
    ]
    config = load_config(ROOT / "config.yaml")
    return config.model_copy(
        update={"sources": sources, "database_url": db_url, "crawler": local_crawler(config)}
    )


def test_feeds_are_collected_and_bad_ones_recorded(
    feed_server: FixtureServer, db: Database, db_url: str
) -> None:
    config = feed_config(feed_server.base_url, db_url)
    result = collect(db, config)

    assert result.error is None
    stats = result.per_source
    assert stats["local-rss"]["new"] == 2
    assert stats["thanh-tri-atom"]["new"] == 1
    assert set(result.failed_sources) == {"broken", "html-page", "missing", "server-error", "empty"}
    assert "404" in stats["missing"]["error_reasons"][0]
    assert "500" in stats["server-error"]["error_reasons"][0]
    assert "empty" in stats["empty"]["error_reasons"][0]
    assert "no usable entries" in stats["broken"]["error_reasons"][0]
    assert "not a" in stats["html-page"]["error_reasons"][0]
    assert any("no http(s) link" in r for r in stats["local-rss"]["error_reasons"])
    # the Atom entry's article page is missing: an article error, not a failing source
    assert stats["thanh-tri-atom"]["errors"] == 0
    assert stats["thanh-tri-atom"]["article_errors"] == 1

    with db.session() as session:
        item = session.scalar(select(Item).where(Item.title.like("%cắt điện%")))
        assert item is not None
        assert item.canonical_url == feed_server.base_url + "/bai/cat-dien.html"
        assert item.url.strip().endswith("#top")
        assert item.title == 'Người dân Plei Kần xôn xao vì tin đồn "cắt điện 3 ngày"'
        # the feed's summary was short: the full text comes from the article page
        assert item.text.startswith("Mấy ngày qua, trên các nhóm mạng xã hội lan truyền")
        assert item.text.endswith("không chia sẻ những tin chưa được kiểm chứng.")
        assert "Trang chủ" not in item.text and "©" not in item.text
        assert not item.needs_fulltext

        assert item.author == "Phóng viên A"
        assert item.published_at == datetime(2025, 7, 1, 2, 30)
        assert len(item.content_hash) == 64

        atom = session.scalar(select(Item).where(Item.url.like("%giai-toa%")))
        assert atom.text == "Tin đồn lừa đảo giải tỏa đất ở xã Ngọc Hồi, huyện Thanh Trì, Hà Nội."
        assert not atom.needs_fulltext  # a 404 is final: the summary stays
        assert atom.title == "Tin đồn giải tỏa ở xã Ngọc Hồi & Văn Điển"
        assert atom.author == "Thu Hà"
        assert atom.published_at == datetime(2025, 8, 1, 0, 30)

        rows = {s.name: s for s in session.scalars(select(SourceRow))}
        assert rows["local-rss"].etag and rows["local-rss"].consecutive_failures == 0
        assert rows["missing"].consecutive_failures == 1
        assert "404" in rows["missing"].last_error


def test_second_collection_is_conditional_and_stores_nothing(
    feed_server: FixtureServer, sqlite_db: Database
) -> None:
    config = feed_config(feed_server.base_url, sqlite_db.url)
    collect(sqlite_db, config, ["local-rss", "thanh-tri-atom"])
    with sqlite_db.session() as session:
        first = session.scalars(select(Item.id)).all()
    feed_server.requests.clear()

    again = collect(sqlite_db, config, ["local-rss", "thanh-tri-atom"])

    assert again.per_source["local-rss"]["not_modified"] == 1
    assert again.per_source["thanh-tri-atom"]["not_modified"] == 1
    assert all(s["new"] == 0 and s["updated"] == 0 for s in again.per_source.values())
    feed_requests = [h for p, h in feed_server.requests if p != "/robots.txt"]
    assert feed_requests and all("If-None-Match" in h for h in feed_requests)
    with sqlite_db.session() as session:
        assert session.scalars(select(Item.id)).all() == first
