"""The `feeds` spider: RSS/Atom sources and Google News searches, with conditional GET.

Entries whose feed gives only a short summary are followed to the article page for the
full text (not for Google News, whose links lead to Google).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from crawler.encoding import charset_from_content_type, decode_body
from crawler.extract import ExtractionError, extract_article
from crawler.feeds import FeedError, parse_feed
from crawler.items import Article, FeedDocument, FetchFailure, Overflow
from crawler.sources import FEED_KINDS
from crawler.spiders.base import (
    SourceSpider,
    conditional_headers,
    extraction_failure,
    header,
    http_error,
)
from storage.items import items_needing_fulltext
from storage.models import Source, utcnow

FULLTEXT_MIN_CHARS = 400
# Links to these lead to players or log-in walls, never to article text.
NO_FOLLOW_HOSTS = (
    "youtube.com",
    "youtu.be",
    "facebook.com",
    "fb.com",
    "instagram.com",
    "tiktok.com",
    "twitter.com",
    "x.com",
    "zalo.me",
    "t.me",
    "news.google.com",
)

FULLTEXT_RETRY_DAYS = 3


class FeedsSpider(SourceSpider):
    name = "feeds"
    kinds = FEED_KINDS

    def requests_for(self, source: Source) -> Iterable[scrapy.Request]:
        yield self.request(
            source.url,
            source.id,
            self.parse_feed,
            headers=conditional_headers(source.etag, source.last_modified),
            follow=source.options.get("follow_links", False),
        )
        if source.options.get("follow_links", False):
            with self.db.session() as session:
                pending = items_needing_fulltext(
                    session, source.id, utcnow() - timedelta(days=FULLTEXT_RETRY_DAYS)
                )
            allowed, over = self.capped_links(source.id, pending)
            for url in allowed:
                yield self._fulltext_request(url, source.id)
            if over:
                yield Overflow(source.id, links=over)

    def parse_feed(
        self, response: Response
    ) -> Iterator[FeedDocument | FetchFailure | Overflow | scrapy.Request]:
        source_id = response.meta["source_id"]
        if response.status == 304:
            yield FeedDocument(source_id=source_id, status=304)
            return
        if (failure := http_error(response)) is not None:
            yield failure
            return
        try:
            entries, skipped = parse_feed(response.body, header(response, b"Content-Type"))
        except FeedError as exc:
            yield FetchFailure(source_id, str(exc), response.status, url=response.url)
            return
        cap = self.settings.getint("PRESS_MONITOR_MAX_ENTRIES", 200)
        overflow = Overflow(source_id, entries=max(0, len(entries) - cap))
        entries = entries[:cap]
        follow = response.meta.get("follow", False)
        new_urls = set(self.unknown(e.url for e in entries)) if follow else set()
        for entry in entries:
            entry.needs_fulltext = (
                entry.url in new_urls
                and len(entry.text) < FULLTEXT_MIN_CHARS
                and not _platform_link(entry.url)
            )
        # Entries over the link cap are stored as needing their full text: a later run
        # follows them (items_needing_fulltext).
        to_follow, overflow.links = self.capped_links(
            source_id, [e.url for e in entries if e.needs_fulltext]
        )

        yield FeedDocument(
            source_id=source_id,
            status=response.status,
            etag=header(response, b"ETag"),
            last_modified=header(response, b"Last-Modified"),
            entries=entries,
            skipped=skipped,
        )
        for url in to_follow:
            yield self._fulltext_request(url, source_id)
        if overflow.entries or overflow.links:
            yield overflow

    def _fulltext_request(self, url: str, source_id: int) -> scrapy.Request:
        return self.request(url, source_id, self.parse_fulltext, completes_entry=True, article=True)

    def parse_fulltext(self, response: Response) -> Iterator[Article | FetchFailure]:
        source_id = response.meta["source_id"]
        if (failure := http_error(response)) is not None:
            yield failure
            return
        html = decode_body(
            response.body, charset_from_content_type(header(response, b"Content-Type"))
        )
        try:
            article = extract_article(html, response.url)
        except ExtractionError as exc:
            yield extraction_failure(response, exc)
            return

        original = response.request.meta.get("redirect_urls", [response.url])[0]
        yield Article(
            source_id,
            original,
            article.title,
            article.text,
            article.author,
            article.published_at,
            completes_entry=True,
        )


def _platform_link(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in NO_FOLLOW_HOSTS)
