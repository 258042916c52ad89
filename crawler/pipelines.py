"""The storage pipeline: items into the database, fetch state and per-source run stats."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from sqlalchemy.orm import Session

from crawler.items import Article, Entry, FeedDocument, FetchFailure, Overflow, PageFetched
from crawler.urls import canonical_url
from storage.db import Database
from storage.items import (
    EntryError,
    FullText,
    ItemData,
    UpsertOutcome,
    complete_texts,
    give_up_fulltext,
    upsert_items,
)
from storage.runs import finish_run, save_source_stats, start_run
from storage.sources import record_failure, record_success

log = logging.getLogger(__name__)
ARTICLE_BATCH = 50
FLUSH_ATTEMPTS = 10


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
        "overflow": {},
    }


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """At most ``limit`` characters of ``text`` and a marker saying it was cut (Vietnamese:
    analysts read it), cut at a word boundary when there is one near the end."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    space = head.rfind(" ", limit - 200)
    if space > 0:
        head = head[:space]
    return head.rstrip() + f"\n\n[… đã cắt bớt: văn bản dài hơn {limit} ký tự]", True


def _add(stats: dict[str, Any], key: str, count: int) -> None:
    if count:
        stats["overflow"][key] = stats["overflow"].get(key, 0) + count


class StoragePipeline:
    def __init__(
        self,
        database_url: str,
        run_id: int | None,
        crawler_stats: StatsCollector | None = None,
        max_item_chars: int = 100_000,
    ) -> None:
        self.database_url = database_url
        self.run_id = run_id
        self.crawler_stats = crawler_stats
        self.max_item_chars = max_item_chars
        self.stats: dict[int, dict[str, Any]] = defaultdict(_new_stats)
        self._articles: list[Article] = []
        self._attempts: dict[int, int] = {}  # flushes tried, by id() of a buffered article

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        run_id = crawler.settings.get("PRESS_MONITOR_RUN_ID")
        return cls(
            crawler.settings["PRESS_MONITOR_DATABASE_URL"],
            int(run_id) if run_id else None,
            crawler.stats,
            crawler.settings.getint("PRESS_MONITOR_MAX_ITEM_CHARS", 100_000),
        )

    def open_spider(self, spider: Spider | None = None) -> None:
        self.db = Database(self.database_url, migrate=False)  # migrated by whoever started us
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
        if isinstance(item, Overflow):
            _add(stats, "entries", item.entries)
            _add(stats, "links", item.links)
            return item

        stats["requests"] += 1
        if isinstance(item, FeedDocument):
            self._store_feed(item, stats)
        elif isinstance(item, Article):
            item.text, cut = truncate(item.text, self.max_item_chars)
            _add(stats, "truncated", int(cut))
            self._articles.append(item)
            if len(self._articles) >= ARTICLE_BATCH:
                self._flush_articles()
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
        if not self._flush_articles():
            self._flush_articles(final=True)
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
            batch = [self._item_data(doc.source_id, entry, stats) for entry in doc.entries]
            for outcome in upsert_items(session, batch):
                _count(stats, outcome)
            record_success(session, doc.source_id, doc.status, doc.etag, doc.last_modified)
        stats["error_reasons"].extend(doc.skipped[:10])

    def flush(self) -> bool:
        """Commit what is buffered now: a cluster crawl (crawler/cluster.py) releases its
        requests only after their articles are stored, so only when this says that every
        buffered article is (False: some wait for the next flush, see below)."""
        return self._flush_articles()

    def _flush_articles(self, final: bool = False) -> bool:
        """Store the buffered articles in one transaction and two batched writes (a session
        and a commit per article were a third of the crawl's CPU time); a row the database
        refuses costs only itself (storage/items.py). If the transaction fails, one by one.
        A row refused for a passing reason (a deadlock with a worker's transaction, a lock
        timeout) stays buffered for the next flush, in a transaction of its own, up to
        ``FLUSH_ATTEMPTS`` times (``final``: this is the last flush); whether nothing stayed.
        Articles lost to a crash before their batch is stored are fetched again by the next
        run (their entry still needs its full text, or the page is still unknown)."""
        batch, self._articles = self._articles, []
        if not batch:
            return True
        try:
            with self.db.session() as session:
                outcomes: list[UpsertOutcome | EntryError | None] = list(
                    _store_articles(session, batch)
                )
        except Exception:
            outcomes = [self._store_alone(a) for a in batch]
        again: list[Article] = []
        for article, outcome in zip(batch, outcomes, strict=True):
            tried = self._attempts.pop(id(article), 0) + 1
            if isinstance(outcome, EntryError):
                if outcome.transient and not final and tried < FLUSH_ATTEMPTS:
                    self._attempts[id(article)] = tried
                    again.append(article)
                else:  # refused by the database: the article's own
                    self._article_error(article, outcome.reason)
            elif outcome is not None:
                _count(self.stats[article.source_id], outcome)
        if again:
            log.info("%d articles not stored for now; tried again at the next flush", len(again))
            self._articles = again + self._articles
        return not again

    def _store_alone(self, article: Article) -> UpsertOutcome | EntryError | None:
        try:
            with self.db.session() as session:
                (outcome,) = _store_articles(session, [article])
            return outcome
        except Exception as exc:
            log.exception("could not store %s", article.url)
            if self.crawler_stats is not None:
                self.crawler_stats.inc_value("press_monitor/pipeline_errors")
            self._article_error(article, f"not stored: {type(exc).__name__}")
            return None

    def _article_error(self, article: Article, reason: str) -> None:
        stats = self.stats[article.source_id]
        stats["article_errors"] += 1
        stats["error_reasons"].append(f"{reason}: {article.url}"[:500])

    def _store_failure(self, failure: FetchFailure, stats: dict[str, Any]) -> None:
        stats["article_errors" if failure.article else "errors"] += 1
        stats["error_reasons"].append(failure.reason)
        with self.db.session() as session:
            if failure.article:
                if failure.permanent and failure.url:
                    give_up_fulltext(session, canonical_url(failure.url))
            else:
                record_failure(session, failure.source_id, failure.reason, failure.status)

    def _item_data(self, source_id: int, entry: Entry, stats: dict[str, Any]) -> ItemData:
        entry.text, cut = truncate(entry.text, self.max_item_chars)
        _add(stats, "truncated", int(cut))
        return _item_data(source_id, entry)


def _store_articles(session: Session, articles: list[Article]) -> list[UpsertOutcome | EntryError]:
    """Full texts of feed entries as one batch, other articles as another; their outcomes
    in the articles' order. Articles of one URL in both go one by one, in order."""
    keys = [canonical_url(a.url) for a in articles]
    completing = {k for k, a in zip(keys, articles, strict=True) if a.completes_entry}
    if len(articles) > 1 and any(
        k in completing for k, a in zip(keys, articles, strict=True) if not a.completes_entry
    ):
        return [outcome for a in articles for outcome in _store_articles(session, [a])]
    fulls = [
        (n, FullText(k, a.text, a.author, a.published_at, a.source_id))
        for n, (k, a) in enumerate(zip(keys, articles, strict=True))
        if a.completes_entry
    ]
    pages = [
        (n, _item_data(a.source_id, Entry(a.url, a.title, a.text, a.author, a.published_at)))
        for n, a in enumerate(articles)
        if not a.completes_entry
    ]
    outcomes: list[UpsertOutcome | EntryError] = ["unchanged"] * len(articles)
    for (n, _), outcome in zip(fulls, complete_texts(session, [f for _, f in fulls]), strict=True):
        outcomes[n] = outcome
    for (n, _), outcome in zip(pages, upsert_items(session, [d for _, d in pages]), strict=True):
        outcomes[n] = outcome
    return outcomes


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
