"""Per-source caps: entries taken from a feed, article links followed, item text size; the
overflow recorded against the source and shown by `status`."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.config import Source, load_config
from monitor.fixture_server import FixtureServer
from monitor.pipeline import collect
from monitor.status_report import status_report
from storage.db import Database
from storage.models import Item
from tests.helpers import ROOT, local_crawler

ENTRIES = 10_000
LONG = "Tin đồn vỡ đập ở Sa Loong khiến người dân hoang mang. " * 200  # about 11,000 chars


def _send(h: BaseHTTPRequestHandler, body: bytes, ctype: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def big_feed(base: list[str]) -> object:
    def handler(h: BaseHTTPRequestHandler) -> None:
        items = [
            f"<item><title>Tin số {n} ở xã Bờ Y</title><link>{base[0]}/bai.html?id={n}</link>"
            f"<description>{LONG if n == 0 else f'Tóm tắt ngắn số {n}.'}</description></item>"
            for n in range(ENTRIES)
        ]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Lớn</title>'
            + "".join(items)
            + "</channel></rss>"
        ).encode()
        _send(h, body, "application/rss+xml; charset=utf-8")

    return handler


def article(h: BaseHTTPRequestHandler) -> None:
    paragraph = "Người dân xã Bờ Y phản ánh về tình hình giao thông sau mùa mưa lũ. " * 8
    body = (
        '<html lang="vi"><head><meta charset="utf-8"><title>Bài</title></head><body><article>'
        f"<h1>Bài</h1><p>{paragraph}</p><p>{paragraph}</p></article></body></html>"
    ).encode()
    _send(h, body, "text/html; charset=utf-8")


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    base: list[str] = []
    with FixtureServer(routes={"/big.rss": big_feed(base), "/bai.html": article}) as s:
        base.append(s.base_url)
        yield s


def test_a_10000_entry_feed_stores_only_the_cap_and_records_the_overflow(
    server: FixtureServer, db: Database, db_url: str
) -> None:
    config = load_config(ROOT / "config.yaml")
    crawler = local_crawler(config).model_copy(
        update={"max_entries_per_source": 50, "max_links_per_source": 10, "max_item_chars": 2000}
    )
    source = Source(name="big", kind="feed", url=server.base_url + "/big.rss")
    config = config.model_copy(
        update={"sources": [source], "database_url": db_url, "crawler": crawler}
    )

    result = collect(db, config)

    assert result.error is None
    stats = result.per_source["big"]
    assert stats["new"] == 50
    assert stats["overflow"] == {"entries": ENTRIES - 50, "links": 49 - 10, "truncated": 1}
    article_requests = [p for p, _ in server.requests if p.startswith("/bai.html")]
    assert len(article_requests) == 10
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 50
        first = session.scalar(select(Item).where(Item.url.like("%id=0")))
        longest = session.scalar(select(func.max(func.length(Item.text))))
    assert first.text.startswith("Tin đồn vỡ đập ở Sa Loong")
    assert first.text.endswith("[… đã cắt bớt: văn bản dài hơn 2000 ký tự]")
    assert longest <= 2000 + 60

    report, _healthy = status_report(db)
    assert "over the caps: 9950 feed entries, 39 article links, 1 texts truncated" in report


def test_links_over_the_cap_are_followed_in_later_runs(
    server: FixtureServer, tmp_path: Path
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pm.db'}")
    config = load_config(ROOT / "config.yaml")
    crawler = local_crawler(config).model_copy(
        update={"max_entries_per_source": 30, "max_links_per_source": 20}
    )
    source = Source(name="big", kind="feed", url=server.base_url + "/big.rss")
    config = config.model_copy(
        update={"sources": [source], "database_url": db.url, "crawler": crawler}
    )
    collect(db, config)
    second = collect(db, config)
    db.dispose()
    # 29 entries with a short summary: 20 followed in the first run, the other 9 in the next
    assert second.per_source["big"]["updated"] == 9
    assert second.per_source["big"]["overflow"].get("links", 0) == 0
