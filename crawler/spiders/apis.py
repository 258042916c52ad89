"""The `apis` spider: official platform APIs.

- youtube_search: YouTube Data API v3 search.list for a query, then videos.list for the
  full descriptions; the quota units charged are counted per source.
- facebook_page / instagram_account: the Graph API for pages and accounts the office
  manages, with a page token. Other public pages come through an RSS bridge as feeds.

Keys and tokens are read from the environment variable named in config.yaml, at crawl
time, and sent in headers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.items import Article, FetchFailure, PageFetched
from crawler.platform_apis import (
    SEARCH_UNITS,
    VIDEOS_UNITS,
    ApiError,
    error_from_body,
    graph_headers,
    graph_url,
    parse_graph,
    parse_youtube_search,
    parse_youtube_videos,
    youtube_headers,
    youtube_search_url,
    youtube_videos_url,
)
from crawler.sources import API_KINDS
from crawler.spiders.base import SourceSpider
from storage.models import Source


class ApisSpider(SourceSpider):
    name = "apis"
    kinds = API_KINDS
    # Authenticated calls to documented APIs, not crawling: an API host's robots.txt
    # (written for crawlers) does not apply.
    custom_settings: ClassVar[dict[str, Any]] = {"ROBOTSTXT_OBEY": False}

    def requests_for(self, source: Source) -> Iterable[Any]:
        options = source.options
        credential = os.environ.get(options.get("credential_env") or "")
        if not credential:
            yield FetchFailure(
                source.id, f"credential variable {options.get('credential_env')} is not set"
            )
            return
        meta = {
            "base": source.url,
            "credential": credential,
            "page": 1,
            "max_pages": options.get("max_pages", 5),
            "kind": source.kind,
        }
        if source.kind == "youtube_search":
            yield self.request(
                youtube_search_url(source.url, options["query"]),
                source.id,
                self.parse_search,
                headers=youtube_headers(credential),
                query=options["query"],
                **meta,
            )
        else:
            yield self.request(
                graph_url(source.url, source.kind, options["account_id"]),
                source.id,
                self.parse_graph_page,
                headers=graph_headers(credential),
                **meta,
            )

    def parse_search(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        try:
            ids, next_token = self._checked(response, parse_youtube_search)
        except ApiError as exc:
            yield FetchFailure(meta["source_id"], str(exc), response.status)
            return
        yield PageFetched(meta["source_id"], response.status, api_units=SEARCH_UNITS)
        watch = {f"https://www.youtube.com/watch?v={i}": i for i in ids}
        new_ids = [watch[url] for url in self.unknown(watch)]
        if new_ids:
            yield self.request(
                youtube_videos_url(meta["base"], new_ids),
                meta["source_id"],
                self.parse_videos,
                headers=youtube_headers(meta["credential"]),
                **_carry(meta),
            )
        if next_token and len(new_ids) == len(ids) and meta["page"] < meta["max_pages"]:
            yield self.request(
                youtube_search_url(meta["base"], meta["query"], next_token),
                meta["source_id"],
                self.parse_search,
                headers=youtube_headers(meta["credential"]),
                **{**_carry(meta), "page": meta["page"] + 1},
            )

    def parse_videos(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        try:
            entries = self._checked(response, parse_youtube_videos)
        except ApiError as exc:
            yield FetchFailure(meta["source_id"], str(exc), response.status)
            return
        yield PageFetched(meta["source_id"], response.status, api_units=VIDEOS_UNITS)
        for e in entries:
            yield Article(meta["source_id"], e.url, e.title, e.text, e.author, e.published_at)

    def parse_graph_page(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        try:
            entries, next_url = self._checked(
                response, lambda body: parse_graph(body, meta["kind"])
            )
        except ApiError as exc:
            yield FetchFailure(meta["source_id"], str(exc), response.status)
            return
        yield PageFetched(meta["source_id"], response.status)
        new = set(self.unknown(e.url for e in entries))
        for e in entries:
            if e.url in new:
                yield Article(meta["source_id"], e.url, e.title, e.text, e.author, e.published_at)
        if next_url and len(new) == len(entries) and meta["page"] < meta["max_pages"]:
            yield self.request(
                next_url,
                meta["source_id"],
                self.parse_graph_page,
                headers=graph_headers(meta["credential"]),
                **{**_carry(meta), "page": meta["page"] + 1},
            )

    @staticmethod
    def _checked(response: Response, parse: Any) -> Any:
        if response.status >= 400:
            raise ApiError(error_from_body(response.status, response.body))
        return parse(response.body)


def _carry(meta: dict[str, Any]) -> dict[str, Any]:
    keys = ("base", "credential", "page", "max_pages", "kind", "query")
    return {k: meta[k] for k in keys if k in meta}
