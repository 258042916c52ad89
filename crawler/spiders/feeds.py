"""The `feeds` spider: RSS/Atom sources (and Google News searches) with conditional GET."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.feeds import FeedError, parse_feed
from crawler.items import FeedDocument, FetchFailure
from crawler.sources import FEED_KINDS
from storage.db import Database
from storage.sources import enabled_sources


class FeedsSpider(scrapy.Spider):
    name = "feeds"

    def __init__(self, sources: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source_names = [s for s in sources.split(",") if s]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self._requests():
            yield request

    def _requests(self) -> Iterator[scrapy.Request]:
        db = Database(self.settings["PRESS_MONITOR_DATABASE_URL"])
        try:
            with db.session() as session:
                rows = enabled_sources(session, FEED_KINDS, self.source_names)
                targets = [(r.id, r.name, r.url, r.etag, r.last_modified) for r in rows]
        finally:
            db.dispose()
        for source_id, name, url, etag, last_modified in targets:
            headers = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            yield scrapy.Request(
                url,
                headers=headers,
                callback=self.parse_feed,
                errback=self.failed,
                dont_filter=True,
                meta={"source_id": source_id, "source_name": name, "handle_httpstatus_all": True},
            )

    def parse_feed(self, response: Response) -> Iterator[FeedDocument | FetchFailure]:
        source_id = response.meta["source_id"]
        if response.status == 304:
            yield FeedDocument(source_id=source_id, status=304)
            return
        if response.status >= 400:
            yield FetchFailure(source_id, f"HTTP {response.status}", response.status)
            return
        try:
            entries, skipped = parse_feed(
                response.body, response.headers.get("Content-Type", b"").decode("latin-1")
            )
        except FeedError as exc:
            yield FetchFailure(source_id, str(exc), response.status)
            return
        yield FeedDocument(
            source_id=source_id,
            status=response.status,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            entries=entries,
            skipped=skipped,
        )

    def failed(self, failure: Failure) -> Iterator[FetchFailure]:
        request = failure.request  # type: ignore[attr-defined]
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]
        yield FetchFailure(request.meta["source_id"], reason)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
