"""Many outlets on loopback for the cluster tests: each on its own address (127.0.0.N), so
the crawler's per-host limits see as many hosts as a province's press has, each serving
RSS feeds whose entries give only a short summary, and the article pages behind them.

Every ``FLAG_EVERY``-th article reports a scam that impersonates the police in Ngọc Hồi
(the default config's locality), which the shipped rules flag; the others are ordinary
local news. Content is generated from the path: nothing on disk, the same on every run.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from monitor.fixture_server import OutletHandler, loopback_hosts

FLAG_EVERY = 8
COMMUNES = ["Bờ Y", "Dục Nông", "Sa Loong"]
SCAM = (
    "Thời gian gần đây, nhiều người dân ở xã {commune}, huyện Ngọc Hồi nhận được cuộc gọi "
    "của đối tượng giả danh công an, yêu cầu chuyển khoản trước để xác minh tài khoản liên "
    "quan đến vụ án số {n}. Các đối tượng gửi đường link cài ứng dụng giả mạo dịch vụ công; "
    "khi người dân làm theo, tài khoản ngân hàng bị chiếm quyền điều khiển. Công an huyện "
    "đề nghị người dân cảnh giác với thủ đoạn lừa đảo, chiếm đoạt tài sản này."
)
NEWS = (
    "Người dân xã {commune} thu hoạch cà phê vụ mùa số {n}; chính quyền địa phương hướng "
    "dẫn bà con bảo quản nông sản, sửa đường liên thôn và chuẩn bị mùa khô. Hội Nông dân "
    "tổ chức lớp tập huấn kỹ thuật chăm sóc cây trồng cho các hộ trong thôn."
)


@dataclass(frozen=True)
class Article:
    feed: int
    n: int

    @property
    def key(self) -> str:
        return f"{self.feed}-{self.n}"

    @property
    def flagged(self) -> bool:
        return (self.feed * 7 + self.n) % FLAG_EVERY == 0

    @property
    def commune(self) -> str:
        return COMMUNES[(self.feed + self.n) % len(COMMUNES)]

    @property
    def title(self) -> str:
        if self.flagged:
            return f"Cảnh báo giả danh công an lừa đảo người dân {self.commune} (tin {self.key})"
        return f"Xã {self.commune} vào vụ thu hoạch (tin {self.key})"

    def html(self) -> bytes:
        paragraph = (SCAM if self.flagged else NEWS).format(commune=self.commune, n=self.key)
        return (
            '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
            f"<title>{self.title}</title>"
            '<meta property="article:published_time" content="2025-09-01T08:00:00+07:00">'
            f"</head><body><nav><a href='/'>Trang chủ</a></nav><article><h1>{self.title}</h1>"
            f"<p>{paragraph}</p><p>{paragraph}</p></article><footer>Báo mẫu</footer>"
            "</body></html>"
        ).encode()


def feed_xml(host: str, feed: int, entries: int) -> bytes:
    now = datetime(2025, 9, 1, tzinfo=UTC)
    items = []
    for n in range(entries):
        article = Article(feed, n)
        published = format_datetime(now - timedelta(minutes=feed * entries + n))
        items.append(
            f"<item><title>{article.title}</title>"
            f"<link>http://{host}/bai/{article.key}.html</link>"
            f"<pubDate>{published}</pubDate>"
            f"<description>Tóm tắt: xã {article.commune}.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Báo số {feed}</title><link>http://{host}/</link>"
        "<description>Tin địa phương</description>" + "".join(items) + "</channel></rss>"
    ).encode()


class _Handler(OutletHandler):
    entries = 2
    # Every response waits this long, as over a network: a crawl then lasts long enough for
    # a test to find a crawler holding leased requests (on loopback with no wait, a fast
    # crawler could finish its share between two polls).
    latency = 0.1

    def do_GET(self) -> None:
        time.sleep(self.latency)
        host = self.headers.get("Host", "127.0.0.1")
        path = self.path.split("?")[0]
        if path.startswith("/feed-"):
            body = feed_xml(host, int(path[6:].split(".")[0]), self.entries)
            ctype = "application/rss+xml; charset=utf-8"
        elif path.startswith("/bai/"):
            feed, n = path[5:].split(".")[0].split("-")
            body, ctype = Article(int(feed), int(n)).html(), "text/html; charset=utf-8"
        else:
            self.send(404, b"not found", "text/plain")
            return
        self.send(200, body, ctype)


def outlets(hosts: int, entries: int) -> AbstractContextManager[list[str]]:
    """One server per loopback address from 127.0.0.2; yields their base URLs."""
    return loopback_hosts(type("Handler", (_Handler,), {"entries": entries}), hosts)


def feed_sources(bases: list[str], feeds: int) -> list[dict[str, object]]:
    """``feeds`` feed sources spread over the outlets, for config.yaml."""
    return [
        {
            "name": f"bao-{k}",
            "kind": "feed",
            "url": f"{bases[k % len(bases)]}/feed-{k}.rss",
            "schedule": {"interval_minutes": 60},
        }
        for k in range(feeds)
    ]
