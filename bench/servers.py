"""Synthetic outlets for benchmarks: many hosts on loopback, feeds and article pages.

Each host (127.0.0.2, 127.0.0.3, ...) is a separate domain for the crawler's politeness
rules, as real outlets are. Every response waits ``latency`` seconds first, standing in for
the network; content is generated from the path, so nothing is stored on disk.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from monitor.fixture_server import OutletHandler, loopback_hosts

PARAGRAPH = (
    "Người dân xã {commune} phản ánh về tình hình giao thông, sản xuất nông nghiệp và đời "
    "sống sau mùa mưa; chính quyền địa phương đã kiểm tra, hướng dẫn bà con khắc phục. "
)
COMMUNES = ["Bờ Y", "Dục Nông", "Sa Loong", "Plei Kần", "Đăk Xú", "Đăk Ang"]


def feed_xml(host: str, feed: int, entries: int) -> bytes:
    now = datetime(2025, 9, 1, tzinfo=UTC)
    items = []
    for n in range(entries):
        commune = COMMUNES[(feed + n) % len(COMMUNES)]
        published = format_datetime(now - timedelta(minutes=feed * entries + n))
        items.append(
            f"<item><title>Tin {feed}-{n}: chuyện ở xã {commune}</title>"
            f"<link>http://{host}/bai/{feed}-{n}.html</link>"
            f"<pubDate>{published}</pubDate>"
            f"<description>Tóm tắt ngắn về xã {commune}.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Báo {host} số {feed}</title><link>http://{host}/</link>"
        "<description>bench</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def article_html(path: str) -> bytes:
    commune = COMMUNES[len(path) % len(COMMUNES)]
    body = "".join(f"<p>Ý kiến {n + 1}. {PARAGRAPH.format(commune=commune)}</p>" for n in range(6))
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Bài {path}</title>'
        '<meta property="article:published_time" content="2025-09-01T08:00:00+07:00"></head>'
        f"<body><nav><a href='/'>Trang chủ</a></nav><article><h1>Bài {path}</h1>{body}"
        "</article><footer>bench</footer></body></html>"
    ).encode()


class _Handler(OutletHandler):
    latency = 0.0
    entries = 10

    def do_GET(self) -> None:
        time.sleep(self.latency)
        host = self.headers.get("Host", "127.0.0.1")
        path = self.path.split("?")[0]
        if path.startswith("/feed-"):
            body = feed_xml(host, int(path[6:].split(".")[0]), self.entries)
            ctype = "application/rss+xml; charset=utf-8"
        elif path.startswith("/bai/"):
            body, ctype = article_html(path), "text/html; charset=utf-8"
        else:
            self.send(404, b"", "text/plain")
            return
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send(304, b"", None, etag)
            return
        self.send(200, body, ctype, etag)


def outlets(hosts: int, latency: float, entries: int) -> AbstractContextManager[list[str]]:
    """Start one server per loopback address; yield their base URLs."""
    handler = type("Handler", (_Handler,), {"latency": latency, "entries": entries})
    return loopback_hosts(handler, hosts)
