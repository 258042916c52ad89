"""Site and Telegram sources, robots.txt, charsets, and bad input of every kind.

All served by a real HTTP server on 127.0.0.1; each check reads the stored rows.
"""

from __future__ import annotations

import re
import time
import unicodedata
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
from tests.helpers import LOCAL_HOSTS, ROOT
from tests.vietnamese import to_cp1258

FIXTURES = Path(__file__).with_name("fixtures")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def reply(status: int, body: bytes, ctype: str, **headers: str):
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            h.send_header(key.replace("_", "-"), value)
        h.end_headers()
        h.wfile.write(body)

    return handler


def hang(h: BaseHTTPRequestHandler) -> None:
    time.sleep(6)


def telegram(h: BaseHTTPRequestHandler) -> None:
    if "before=301" in h.path:
        body = OLDER_TELEGRAM_PAGE.encode()
    else:
        body = (FIXTURES / "telegram" / "kenh-ngoc-hoi.html").read_bytes()
    reply(200, body, "text/html; charset=utf-8")(h)


OLDER_TELEGRAM_PAGE = """<html><body><section>
<div class="tgme_widget_message js-widget_message" data-post="kenh_ngoc_hoi/300">
<div class="tgme_widget_message_text">Lừa đảo trúng thưởng ở Plei Kần: đừng chuyển khoản!</div>
<a class="tgme_widget_message_date" href="https://t.me/kenh_ngoc_hoi/300">
<time datetime="2025-09-06T10:00:00+00:00">17:00</time></a></div>
</section></body></html>"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FixtureServer]:
    site = tmp_path / "site"
    win = (FIXTURES / "site" / "windows-1258.txt").read_text(encoding="utf-8")
    wrong = (FIXTURES / "site" / "sai-charset.txt").read_text(encoding="utf-8")
    routes = {
        "/tin/windows-1258/xa-sa-loong-tin-don-lu-quet-126.html": reply(
            200, to_cp1258(win), "text/html; charset=windows-1258"
        ),
        "/tin/sai-charset/plei-kan-ngo-doc-127.html": reply(
            200, wrong.encode("utf-8"), "text/html; charset=iso-8859-1"
        ),
        "/s/kenh_ngoc_hoi": telegram,
        "/binary.rss": reply(200, PNG, "application/rss+xml"),
        "/loop.rss": reply(302, b"", "text/plain", Location="/loop.rss"),
        "/hang.rss": hang,
        "/huge.rss": reply(200, b"<rss>" + b" " * 10_000_000 + b"</rss>", "application/rss+xml"),
    }
    with FixtureServer(site, routes=routes) as srv:
        copy_with_base(FIXTURES / "site", site, srv.base_url)
        yield srv


def win_source() -> str:
    return (FIXTURES / "site" / "windows-1258.txt").read_text(encoding="utf-8")


def config_for(base: str, db_url: str, sources: list[Source]) -> Config:
    config = load_config(ROOT / "config.yaml")
    crawler = config.crawler.model_copy(
        update={
            "download_timeout": 2,
            "retries": 1,
            "retry_backoff_seconds": 0.1,
            "max_response_bytes": 5_000_000,
            "allow_private_hosts": LOCAL_HOSTS,
        }
    )
    return config.model_copy(
        update={"sources": sources, "database_url": db_url, "crawler": crawler}
    )


def test_site_listing_pages_articles_robots_and_charsets(
    server: FixtureServer, sqlite_db: Database
) -> None:
    base = server.base_url
    source = Source(name="bao-bien-gioi", kind="site", url=f"{base}/tin/", max_pages=2)
    result = collect(sqlite_db, config_for(base, sqlite_db.url, [source]))

    stats = result.per_source["bao-bien-gioi"]
    assert stats["new"] == 4, stats
    assert stats["errors"] == 0
    assert any("robots.txt" in r and "bai-noi-bo" in r for r in stats["error_reasons"])
    fetched = {path for path, _ in server.requests}
    assert not any("/tin/rieng/" in p for p in fetched)

    with sqlite_db.session() as session:
        items = {i.title: i for i in session.scalars(select(Item))}
    bo_y = items["Tin đồn đóng cửa khẩu quốc tế Bờ Y là sai sự thật"]
    assert bo_y.text.startswith("Chiều 3/9, Ban Quản lý cửa khẩu quốc tế Bờ Y khẳng định")
    assert "Tin liên quan" not in bo_y.text and "Trang chủ" not in bo_y.text
    assert bo_y.author == "Hoàng Nam"
    assert bo_y.published_at == datetime(2025, 9, 3, 9, 20)
    assert bo_y.canonical_url == f"{base}/tin/tin-don-dong-cua-khau-bo-y-123.html"

    scam = items["Cảnh báo lừa đảo tuyển dụng ở xã Dục Nông"]
    assert scam.canonical_url == f"{base}/tin/canh-bao-lua-dao-tuyen-dung-o-duc-nong-124.html"
    assert "việc nhẹ lương cao" in scam.text

    cp1258 = items["Xã Sa Loong: tin đồn lũ quét"]
    # Windows-1258 sends tones as combining marks: the stored text is the page's two
    # paragraphs exactly, precomposed (NFC), as the UTF-8 source of the fixture has them
    paragraphs = re.findall(r"<p>(.*?)</p>", win_source())
    assert cp1258.text.split("\n") == [unicodedata.normalize("NFC", p) for p in paragraphs]
    assert unicodedata.is_normalized("NFC", cp1258.text)
    assert not any(unicodedata.combining(c) for c in cp1258.text)

    wrong = items["Plei Kần: ngộ độc thực phẩm sau tiệc cưới"]
    assert "thị trấn Plei Kần có biểu hiện ngộ độc" in wrong.text

    # a second run fetches no article again: they are known
    server.requests.clear()
    again = collect(sqlite_db, config_for(base, sqlite_db.url, [source]))
    assert again.per_source["bao-bien-gioi"]["new"] == 0
    assert not any(p.endswith("-123.html") for p, _ in server.requests)


def test_site_selectors_from_config(server: FixtureServer, sqlite_db: Database) -> None:
    base = server.base_url
    source = Source(
        name="selectors",
        kind="site",
        url=f"{base}/tin/",
        max_pages=1,
        selectors={
            "links": "h2 a::attr(href)",
            "title": "h1.tieu-de::text",
            "text": "div.than-bai p",
            "published": "p.ngay::text",
        },
    )
    result = collect(sqlite_db, config_for(base, sqlite_db.url, [source]))
    assert result.per_source["selectors"]["new"] >= 1
    with sqlite_db.session() as session:
        scam = session.scalar(select(Item).where(Item.url.like("%-124.html%")))
    assert scam.title == "Cảnh báo lừa đảo tuyển dụng ở xã Dục Nông"
    assert scam.text.startswith("Công an xã Dục Nông, tỉnh Quảng Ngãi cảnh báo")
    assert scam.published_at == datetime(2025, 9, 4, 1, 0)


def test_telegram_channel_preview(server: FixtureServer, sqlite_db: Database) -> None:
    source = Source(
        name="kenh-ngoc-hoi",
        kind="telegram",
        trust="social",
        url=f"{server.base_url}/s/kenh_ngoc_hoi",
    )
    result = collect(sqlite_db, config_for(server.base_url, sqlite_db.url, [source]))
    assert result.per_source["kenh-ngoc-hoi"]["new"] == 3
    with sqlite_db.session() as session:
        items = {i.canonical_url: i for i in session.scalars(select(Item))}
    first = items["https://t.me/kenh_ngoc_hoi/301"]
    assert first.text == (
        "KHẨN: tin đồn vỡ đập thủy điện ở Sa Loong, bà con chia sẻ ngay!\n"
        "Nguồn: nghe nói từ người quen."
    )
    assert first.author == "Tin Ngọc Hồi"
    assert first.published_at == datetime(2025, 9, 7, 13, 5)
    assert "https://t.me/kenh_ngoc_hoi/300" in items  # from the older page
    assert "https://t.me/kenh_ngoc_hoi/303" not in items  # a photo without text


def test_every_bad_input_is_recorded_and_others_still_collected(
    server: FixtureServer, db: Database, db_url: str
) -> None:
    base = server.base_url
    bad = {
        "binary": "/binary.rss",
        "redirect-loop": "/loop.rss",
        "hangs": "/hang.rss",
        "ten-megabytes": "/huge.rss",
    }
    sources = [Source(name=n, kind="feed", url=base + p) for n, p in bad.items()]
    sources.append(Source(name="good-site", kind="site", url=f"{base}/tin/", max_pages=1))
    started = time.monotonic()
    result = collect(db, config_for(base, db_url, sources))
    assert time.monotonic() - started < 60

    assert result.error is None
    assert set(result.failed_sources) == set(bad)
    reasons = {n: " ".join(s["error_reasons"]) for n, s in result.per_source.items()}
    assert "not a" in reasons["binary"] or "no usable" in reasons["binary"]
    assert "redirect" in reasons["redirect-loop"].lower()
    assert "timeout" in reasons["hangs"].lower() or "timed out" in reasons["hangs"].lower()
    assert "maxsize" in reasons["ten-megabytes"].lower() or "size" in reasons["ten-megabytes"]
    assert result.per_source["good-site"]["new"] == 2
    with db.session() as session:
        rows = {s.name: s for s in session.scalars(select(SourceRow))}
        assert all(rows[n].consecutive_failures == 1 and rows[n].last_error for n in bad)
        assert rows["good-site"].consecutive_failures == 0
