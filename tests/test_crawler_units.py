"""The crawler's pure parts: URLs, times, charsets, feeds, Telegram pages."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from crawler.encoding import decode_body
from crawler.feeds import FeedError, parse_feed
from crawler.spiders.feeds import _platform_link
from crawler.telegram import parse_channel_page
from crawler.times import parse_time
from crawler.urls import canonical_url
from tests.vietnamese import to_cp1258

FEEDS = Path(__file__).with_name("fixtures") / "feeds"
TEXT = "Tin đồn ở huyện Ngọc Hồi, Đăk Xú: lừa đảo chiếm đoạt tài sản"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "HTTPS://WWW.BaoKonTum.com.vn:443/tin/a.html?utm_source=fb&id=3&fbclid=x#top",
            "https://baokontum.com.vn/tin/a.html?id=3",
        ),
        ("http://bao.vn:80/a?b=2&a=1", "http://bao.vn/a?a=1&b=2"),
        ("http://bao.vn:8080/a/", "http://bao.vn:8080/a/"),
        ("https://bao.vn", "https://bao.vn/"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-07-01T09:00:00+07:00", datetime(2025, 7, 1, 2, 0)),
        ("Tue, 01 Jul 2025 09:30:00 +0700", datetime(2025, 7, 1, 2, 30)),
        ("Thứ ba, 01/07/2025 09:30 (GMT+7)", datetime(2025, 7, 1, 2, 30)),
        ("2025-07-01 09:30", datetime(2025, 7, 1, 2, 30)),
        ("không phải ngày", None),
    ],
)
def test_parse_time(value: str, expected: datetime | None) -> None:
    assert parse_time(value) == expected


def test_decode_body_repairs_charsets() -> None:
    assert decode_body(TEXT.encode("utf-8"), "iso-8859-1") == TEXT  # wrong declaration
    assert decode_body(to_cp1258(TEXT), "windows-1258") == TEXT  # Windows-1258
    assert decode_body(to_cp1258(TEXT), None) == TEXT  # undeclared
    nfd = unicodedata.normalize("NFD", TEXT).encode("utf-8")
    assert decode_body(b"\xef\xbb\xbf" + nfd) == TEXT  # BOM and NFD


def test_youtube_feed_description_is_the_text() -> None:
    (entry,), skipped = parse_feed((FEEDS / "youtube.atom").read_bytes(), "application/atom+xml")
    assert entry.url == "https://www.youtube.com/watch?v=abcDEF12345"
    assert "tin đồn đóng cửa khẩu là sai sự thật" in entry.text
    assert entry.published_at == datetime(2025, 9, 3, 12, 0)
    assert _platform_link(entry.url) and not _platform_link("https://baokontum.com.vn/a.html")
    assert skipped == []


def test_feed_in_windows_1258_with_wrong_header() -> None:
    xml = (
        '<?xml version="1.0" encoding="windows-1258"?><rss version="2.0"><channel>'
        f"<title>x</title><item><title>{TEXT}</title><link>http://bao.vn/a.html</link>"
        "<description>Tin &amp;amp; ảnh</description></item></channel></rss>"
    )
    (entry,), _ = parse_feed(to_cp1258(xml), "text/xml; charset=utf-8")
    assert entry.title == TEXT
    assert entry.text == "Tin & ảnh"


@pytest.mark.parametrize("body", [b"", b"   ", b"\x89PNG\r\n\x1a\n\x00\x00", b"<html><body>x"])
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body, "application/rss+xml")


def test_real_vnexpress_snapshots_when_present() -> None:
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "rss-vnexpress"
    if not corpus.is_dir():
        pytest.skip("shared corpora not present")
    for snapshot in sorted(corpus.glob("*.xml")):
        entries, skipped = parse_feed(snapshot.read_bytes(), "application/rss+xml")
        # one snapshot holds an empty <item/> (no title, no link): skipped with a reason
        assert len(entries) + len(skipped) == 25, snapshot.name
        assert all("no http(s) link" in reason for reason in skipped)

        for entry in entries:
            assert entry.url.startswith("http") and "\n" not in entry.url
            assert entry.title and "\n" not in entry.title
            assert "<" not in entry.text and unicodedata.is_normalized("NFC", entry.text)


def test_telegram_page_shape() -> None:
    html = (Path(__file__).with_name("fixtures") / "telegram" / "kenh-ngoc-hoi.html").read_text()
    messages, older = parse_channel_page(html, "https://t.me/s/kenh_ngoc_hoi")
    assert [m.post_id for m in messages] == [301, 302]
    assert older == "https://t.me/s/kenh_ngoc_hoi?before=301"


def test_deeply_nested_page_still_gives_its_text() -> None:
    """255 nested tags make trafilatura return nothing; the body's text is the fallback."""
    from crawler.extract import extract_article

    body = "<span>" * 255 + f"{TEXT}. Công an huyện đề nghị người dân cảnh giác." + "</span>" * 255
    html = (
        '<html lang="vi"><head><title>Cảnh báo</title><style>p{color:red}</style></head>'
        f"<body><nav>Trang chủ</nav><script>var x = 'mã độc';</script>{body}</body></html>"
    )
    article = extract_article(html, "https://bao.vn/a.html")
    assert TEXT in article.text
    assert "mã độc" not in article.text and "color" not in article.text
    assert "Trang chủ" not in article.text


def test_a_page_of_links_is_not_an_article_for_the_fallback() -> None:
    from crawler.extract import ExtractionError, extract_article

    links = "".join(f'<h2><a href="/tin/{n}.html">{TEXT} số {n}</a></h2>' for n in range(5))
    with pytest.raises(ExtractionError):
        extract_article(f"<html><body><main>{links}</main></body></html>", "https://bao.vn/tin/")
