"""The `sites` spider: a news site's listing pages, followed to its article pages.

Per-site selectors from config.yaml (links, next, title, text, author, published) are used
where given; otherwise links are found by their shape and articles extracted by
trafilatura. At most ``max_pages`` listing pages are read per run, and articles already
stored are not fetched again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response

from crawler.encoding import charset_from_content_type, decode_body
from crawler.extract import ExtractionError, extract_article
from crawler.items import Article, FetchFailure, Overflow, PageFetched
from crawler.spiders.base import (
    SourceSpider,
    conditional_headers,
    extraction_failure,
    header,
    http_error,
)
from storage.models import Source

ARTICLE_SUFFIXES = (".html", ".htm", ".shtml", ".aspx", ".php")


class SitesSpider(SourceSpider):
    name = "sites"
    kinds = ("site",)

    def requests_for(self, source: Source) -> Iterable[scrapy.Request]:
        yield self.request(
            source.url,
            source.id,
            self.parse_listing,
            headers=conditional_headers(source.etag, source.last_modified),
            options=source.options,
            page=1,
        )

    def parse_listing(self, response: Response) -> Iterator[Any]:
        source_id = response.meta["source_id"]
        options = response.meta["options"]
        if response.status == 304:
            yield PageFetched(source_id, 304)
            return
        if (failure := http_error(response)) is not None:
            yield failure
            return
        page = Selector(text=_text(response))
        selectors = options.get("selectors", {})
        links = article_links(page, response.url, selectors.get("links"))
        if not links and response.meta["page"] == 1:
            yield FetchFailure(
                source_id,
                f"no article links found on {response.url}",
                response.status,
                url=response.url,
            )
            return
        yield PageFetched(
            source_id,
            response.status,
            header(response, b"ETag"),
            header(response, b"Last-Modified"),
        )
        allowed, over = self.capped_links(source_id, self.unknown(links))
        for url in allowed:
            yield self.request(url, source_id, self.parse_article, options=options, article=True)
        if over:
            yield Overflow(source_id, links=over)
        next_page = _next_page(page, response.url, selectors.get("next"))
        if next_page and response.meta["page"] < options.get("max_pages", 20):
            yield self.request(
                next_page,
                source_id,
                self.parse_listing,
                options=options,
                page=response.meta["page"] + 1,
            )

    def parse_article(self, response: Response) -> Iterator[Article | FetchFailure]:
        source_id = response.meta["source_id"]
        if (failure := http_error(response)) is not None:
            yield failure
            return
        selectors = response.meta["options"].get("selectors", {})
        article_selectors = {k: v for k, v in selectors.items() if k not in ("links", "next")}
        try:
            article = extract_article(_text(response), response.url, article_selectors)
        except ExtractionError as exc:
            yield extraction_failure(response, exc)
            return

        yield Article(
            source_id,
            response.url,
            article.title,
            article.text,
            article.author,
            article.published_at,
        )


def _text(response: Response) -> str:
    return decode_body(response.body, charset_from_content_type(header(response, b"Content-Type")))


def article_links(page: Selector, base: str, selector: str | None) -> list[str]:
    """Article URLs on a listing page, in page order, without duplicates."""
    if selector:
        hrefs = (
            page.xpath(selector).getall()
            if selector.startswith(("/", "("))
            else page.css(selector).getall()
        )
    else:
        hrefs = page.css("a::attr(href)").getall()
    host = urlsplit(base).netloc
    seen: dict[str, None] = {}
    for href in hrefs:
        url = urljoin(base, href.strip()).split("#", 1)[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or url == base:
            continue
        if selector is None and (parts.netloc != host or not _looks_like_article(parts.path)):
            continue
        seen.setdefault(url, None)
    return list(seen)


def _looks_like_article(path: str) -> bool:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last.endswith(ARTICLE_SUFFIXES) or (last.count("-") >= 3)


def _next_page(page: Selector, base: str, selector: str | None) -> str | None:
    query = selector or "a[rel=next]::attr(href), link[rel=next]::attr(href)"
    href = page.xpath(query).get() if query.startswith(("/", "(")) else page.css(query).get()
    return urljoin(base, href) if href else None
