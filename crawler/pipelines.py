"""The storage pipeline: items into the database, fetch state and per-source run stats."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler

from crawler.items import FeedDocument, FetchFailure
from crawler.text import content_hash
from crawler.urls import canonical_url
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.runs import finish_run, save_source_stats, start_run
from storage.sources import record_failure, record_success


def _new_stats() -> dict[str, Any]:
    return {
        "requests": 0,
        "not_modified": 0,
        "new": 0,
        "updated": 0,
        "errors": 0,
        "error_reasons": [],
    }


class StoragePipeline:
    def __init__(self, database_url: str, run_id: int | None) -> None:
        self.database_url = database_url
        self.run_id = run_id
        self.stats: dict[int, dict[str, Any]] = defaultdict(_new_stats)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        run_id = crawler.settings.get("PRESS_MONITOR_RUN_ID")
        return cls(crawler.settings["PRESS_MONITOR_DATABASE_URL"], int(run_id) if run_id else None)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.db = Database(self.database_url)
        self.own_run = self.run_id is None
        if self.own_run:
            with self.db.session() as session:
                self.run_id = start_run(session, "collect").id

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, FeedDocument):
            self._store_feed(item)
        elif isinstance(item, FetchFailure):
            self._store_failure(item)
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        with self.db.session() as session:
            for source_id, stats in self.stats.items():
                save_source_stats(session, self.run_id, source_id, stats)
            if self.own_run:
                finish_run(session, self.run_id, "done", _totals(self.stats))
        self.db.dispose()

    def _store_feed(self, doc: FeedDocument) -> None:
        stats = self.stats[doc.source_id]
        stats["requests"] += 1
        if doc.status == 304:
            stats["not_modified"] += 1
        with self.db.session() as session:
            for entry in doc.entries:
                outcome = upsert_item(
                    session,
                    ItemData(
                        source_id=doc.source_id,
                        url=entry.url,
                        canonical_url=canonical_url(entry.url),
                        title=entry.title,
                        text=entry.text,
                        content_hash=content_hash(entry.title, entry.text),
                        author=entry.author,
                        published_at=entry.published_at,
                    ),
                )
                if outcome != "unchanged":
                    stats[outcome] += 1
            record_success(session, doc.source_id, doc.status, doc.etag, doc.last_modified)
        if doc.skipped:
            stats["error_reasons"].extend(doc.skipped[:10])

    def _store_failure(self, failure: FetchFailure) -> None:
        stats = self.stats[failure.source_id]
        stats["requests"] += 1
        stats["errors"] += 1
        stats["error_reasons"].append(failure.reason)
        with self.db.session() as session:
            record_failure(session, failure.source_id, failure.reason, failure.status)


def _totals(stats: dict[int, dict[str, Any]]) -> dict[str, int]:
    keys = ("requests", "not_modified", "new", "updated", "errors")
    return {k: sum(s[k] for s in stats.values()) for k in keys}
