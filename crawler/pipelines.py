"""The storage pipeline: items into the database, fetch state and per-source run stats."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawler.items import Article, Entry, FeedDocument, FetchFailure, PageFetched
from crawler.urls import canonical_url
from storage.db import Database
from storage.items import (
    EntryError,
    ItemData,
    UpsertOutcome,
    complete_text,
    give_up_fulltext,
    upsert_items,
)
from storage.runs import finish_run, save_source_stats, start_run
from storage.sources import record_failure, record_success


def _new_stats() -> dict[str, Any]:
    return {
        "requests": 0,
        "not_modified": 0,
        "new": 0,
        "updated": 0,
        "errors": 0,
        "article_errors": 0,
        "api_units": 0,
        "error_reasons": [],
    }


class StoragePipeline:
    def __init__(
        self, database_url: str, run_id: int | None, crawler_stats: StatsCollector | None = None
    ) -> None:
        self.database_url = database_url
        self.run_id = run_id
        self.crawler_stats = crawler_stats
        self.stats: dict[int, dict[str, Any]] = defaultdict(_new_stats)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        run_id = crawler.settings.get("PRESS_MONITOR_RUN_ID")
        return cls(
            crawler.settings["PRESS_MONITOR_DATABASE_URL"],
            int(run_id) if run_id else None,
            crawler.stats,
        )

    def open_spider(self, spider: Spider | None = None) -> None:
        self.db = Database(self.database_url)
        self.own_run = self.run_id is None
        if self.own_run:
            with self.db.session() as session:
                self.run_id = start_run(session, "collect").id

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        try:
            return self._process(item)
        except Exception:
            if self.crawler_stats is not None:
                self.crawler_stats.inc_value("press_monitor/pipeline_errors")
            raise

    def _process(self, item: Any) -> Any:
        stats = self.stats[item.source_id]

        stats["requests"] += 1
        if isinstance(item, FeedDocument):
            self._store_feed(item, stats)
        elif isinstance(item, Article):
            self._store_article(item, stats)
        elif isinstance(item, PageFetched):
            if item.status == 304:
                stats["not_modified"] += 1
            stats["api_units"] += item.api_units
            with self.db.session() as session:
                record_success(session, item.source_id, item.status, item.etag, item.last_modified)
        elif isinstance(item, FetchFailure):
            self._store_failure(item, stats)
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        with self.db.session() as session:
            for source_id, stats in self.stats.items():
                save_source_stats(session, self.run_id, source_id, stats)
            if self.own_run:
                finish_run(session, self.run_id, "done", _totals(self.stats))
        self.db.dispose()

    def _store_feed(self, doc: FeedDocument, stats: dict[str, Any]) -> None:
        if doc.status == 304:
            stats["not_modified"] += 1
        with self.db.session() as session:
            batch = [_item_data(doc.source_id, entry) for entry in doc.entries]
            for outcome in upsert_items(session, batch):
                _count(stats, outcome)
            record_success(session, doc.source_id, doc.status, doc.etag, doc.last_modified)
        stats["error_reasons"].extend(doc.skipped[:10])

    def _store_article(self, article: Article, stats: dict[str, Any]) -> None:
        with self.db.session() as session:
            if article.completes_entry:
                outcome = complete_text(
                    session,
                    canonical_url(article.url),
                    article.text,
                    article.author,
                    article.published_at,
                    article.source_id,
                )
            else:
                entry = Entry(
                    article.url, article.title, article.text, article.author, article.published_at
                )
                (outcome,) = upsert_items(session, [_item_data(article.source_id, entry)])
        _count(stats, outcome)

    def _store_failure(self, failure: FetchFailure, stats: dict[str, Any]) -> None:
        stats["article_errors" if failure.article else "errors"] += 1
        stats["error_reasons"].append(failure.reason)
        with self.db.session() as session:
            if failure.article:
                if failure.permanent and failure.url:
                    give_up_fulltext(session, canonical_url(failure.url))
            else:
                record_failure(session, failure.source_id, failure.reason, failure.status)


def _item_data(source_id: int, entry: Entry) -> ItemData:
    return ItemData(
        source_id=source_id,
        url=entry.url,
        canonical_url=canonical_url(entry.url),
        title=entry.title,
        text=entry.text,
        author=entry.author,
        published_at=entry.published_at,
        needs_fulltext=entry.needs_fulltext,
    )


def _count(stats: dict[str, Any], outcome: UpsertOutcome | EntryError) -> None:
    """An entry that could not be stored is an error of its source, with the reason."""
    if isinstance(outcome, EntryError):
        stats["errors"] += 1
        stats["error_reasons"].append(f"{outcome.url}: {outcome.reason}")
    elif outcome != "unchanged":
        stats[outcome] += 1


def _totals(stats: dict[int, dict[str, Any]]) -> dict[str, int]:
    keys = ("requests", "not_modified", "new", "updated", "errors", "article_errors", "api_units")

    return {k: sum(s[k] for s in stats.values()) for k in keys}
