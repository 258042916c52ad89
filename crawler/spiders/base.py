"""What every press-monitor spider shares: sources from the database, failures as items."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import FetchFailure
from crawler.urls import canonical_url
from storage.db import Database
from storage.items import existing_urls
from storage.models import Source
from storage.sources import enabled_sources


class SourceSpider(scrapy.Spider):
    kinds: ClassVar[tuple[str, ...]] = ()

    def __init__(self, sources: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source_names = [s for s in sources.split(",") if s]
        self._db: Database | None = None
        self._links_followed: dict[int, int] = {}

    def capped_links(self, source_id: int, urls: list[str]) -> tuple[list[str], int]:
        """Those of ``urls`` this run may still follow for the source, and how many not
        (crawler.max_links_per_source, counted over the whole run)."""
        cap = self.settings.getint("PRESS_MONITOR_MAX_LINKS", 100)
        taken = self._links_followed.get(source_id, 0)
        allowed = urls[: max(0, cap - taken)]
        self._links_followed[source_id] = taken + len(allowed)
        return allowed, len(urls) - len(allowed)

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings["PRESS_MONITOR_DATABASE_URL"], migrate=False)
        return self._db

    async def start(self) -> AsyncIterator[scrapy.Request]:
        with self.db.session() as session:
            sources = enabled_sources(session, self.kinds, self.source_names)
            session.expunge_all()
        for source in sources:
            for request in self.requests_for(source):
                yield request

    def requests_for(self, source: Source) -> Iterable[scrapy.Request]:
        raise NotImplementedError

    def closed(self, reason: str) -> None:
        if self._db is not None:
            self._db.dispose()

    def unknown(self, urls: Iterable[str]) -> list[str]:
        """Those of ``urls`` whose canonical form is not stored yet (order kept)."""
        wanted = {canonical_url(u): u for u in urls}
        if not wanted:  # a connection checked out for nothing costs round trips
            return []
        with self.db.engine.connect() as conn:  # a read: no ORM session, nothing to commit
            known = existing_urls(conn, list(wanted))
        return [u for c, u in wanted.items() if c not in known]

    def request(
        self,
        url: str,
        source_id: int,
        callback: Any,
        headers: dict[str, str] | None = None,
        **meta: Any,
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.failed,
            dont_filter=True,
            headers=headers,
            meta={"source_id": source_id, "handle_httpstatus_list": HANDLED_STATUSES, **meta},
        )

    def failed(self, failure: Failure) -> Iterator[FetchFailure]:
        request = failure.request  # type: ignore[attr-defined]
        message = failure.getErrorMessage() or failure.type.__name__
        reason = f"{failure.type.__name__}: {message}"[:500]
        permanent = bool(failure.check(IgnoreRequest))
        if permanent and "robots" in message.lower():
            reason = f"forbidden by robots.txt: {request.url}"
        yield FetchFailure(
            request.meta["source_id"],
            reason,
            url=request.url,
            article=bool(request.meta.get("article")),
            permanent=permanent,
        )


PERMANENT_STATUSES = (401, 403, 404, 410, 451)
# Spiders see these responses themselves (to record them); redirects stay with Scrapy.
HANDLED_STATUSES = [304, *range(400, 600)]


def http_error(response: Response) -> FetchFailure | None:
    if response.status < 400:
        return None
    article = bool(response.meta.get("article"))
    reason = f"HTTP {response.status}" + (f": {response.url}" if article else "")
    return FetchFailure(
        response.meta["source_id"],
        reason,
        response.status,
        url=response.url,
        article=article,
        permanent=response.status in PERMANENT_STATUSES,
    )


def extraction_failure(response: Response, problem: Exception) -> FetchFailure:
    return FetchFailure(
        response.meta["source_id"],
        f"{problem}: {response.url}",
        response.status,
        url=response.url,
        article=True,
        permanent=True,
    )


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers
