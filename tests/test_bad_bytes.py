"""Bytes a database cannot keep: stripped at the storage boundary, and an entry that still
cannot be written fails alone, recorded against its source (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from crawler.items import Entry, FeedDocument
from crawler.pipelines import StoragePipeline
from monitor.config import Source, load_config
from monitor.fixture_server import FixtureServer
from monitor.pipeline import collect
from monitor.status_report import status_report
from storage.db import Database
from storage.items import EntryError, ItemData, upsert_items
from storage.models import Item, RunSourceStat
from storage.sources import SourceSpec, sync_sources
from tests.helpers import ROOT, local_crawler

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Báo thử</title><link>{base}/</link><description>d</description>
<item><title>Tin đồn\x00 cắt điện\x07 ở Plei Kần</title><link>{base}/bai/1.html</link>
<author>phong\x00vien@example.invalid (Phóng\x1b viên)</author>
<description>Người dân\x00 xôn xao\x01 vì tin đồn\x7f cắt điện.\r\nDòng hai.</description></item>
<item><title>Lịch tiếp công dân</title><link>{base}/bai/2.html</link>
<description>Ủy ban xã Bờ Y tiếp công dân vào thứ Năm.</description></item>
<item><title>Hội thi văn hóa</title><link>{base}/bai/3.html</link>
<description>Hội thi văn hóa các dân tộc ở xã Dục Nông.</description></item>
</channel></rss>"""


def test_nul_and_control_characters_are_stripped_and_nothing_is_lost(
    db: Database, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    with FixtureServer(site) as server:
        (site / "feed.rss").write_bytes(FEED.format(base=server.base_url).encode())
        config = load_config(ROOT / "config.yaml")
        source = Source(name="bao-thu", kind="feed", url=f"{server.base_url}/feed.rss")
        config = config.model_copy(
            update={"sources": [source], "database_url": db.url, "crawler": local_crawler(config)}
        )
        result = collect(db, config.model_copy(update={"sources": [source]}))
    assert result.error is None
    stats = result.per_source["bao-thu"]
    assert stats["new"] == 3 and stats["errors"] == 0, stats
    with db.session() as session:
        items = {i.canonical_url.rsplit("/", 1)[1]: i for i in session.scalars(select(Item))}
    first = items["1.html"]
    assert first.title == "Tin đồn cắt điện ở Plei Kần"
    assert first.text == "Người dân xôn xao vì tin đồn cắt điện.\nDòng hai."
    assert first.author is not None and "\x00" not in first.author and "\x1b" not in first.author
    assert sorted(items) == ["1.html", "2.html", "3.html"]


def test_an_entry_that_cannot_be_stored_fails_alone(db: Database) -> None:
    with db.session() as session:
        source_id = sync_sources(
            session, [SourceSpec("api-thu", "feed", "http://127.0.0.1/api.json")]
        )["api-thu"]
    # a lone surrogate, as a JSON API's "\\ud83d" escape decodes: no database encodes it
    entries = [
        Entry("http://127.0.0.1/p/1", "Bài một", "Nội dung một."),
        Entry("http://127.0.0.1/p/2", "Bài hai \ud83d", "Nội dung hai \ud83d."),
        Entry("http://127.0.0.1/p/3", "Bài ba", "Nội dung ba."),
    ]
    with db.session() as session:
        outcomes = upsert_items(
            session, [ItemData(source_id, e.url, e.url, e.title, e.text) for e in entries]
        )
    assert outcomes[0] == "new" and outcomes[2] == "new"
    assert isinstance(outcomes[1], EntryError) and outcomes[1].url == "http://127.0.0.1/p/2"

    pipeline = StoragePipeline(db.url, None)  # the crawler's own path, with its run stats
    pipeline.open_spider()
    more = [Entry(e.url.replace("/p/", "/q/"), e.title, e.text) for e in entries]
    pipeline.process_item(FeedDocument(source_id, 200, entries=more))
    pipeline.close_spider()
    with db.session() as session:
        urls = set(session.scalars(select(Item.canonical_url)))
        (stat,) = session.scalars(select(RunSourceStat)).all()
    assert urls == {f"http://127.0.0.1/{d}/{n}" for d in "pq" for n in (1, 3)}
    assert stat.new_items == 2 and stat.errors == 1
    report, _ = status_report(db)
    assert "1 errors" in report and "http://127.0.0.1/q/2: not stored" in report
