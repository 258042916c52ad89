"""Article extraction from HTML: per-site selectors when configured, trafilatura otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import trafilatura
from parsel import Selector

from crawler.text import html_to_text, normalize_text
from crawler.times import parse_time

_META_TIME = (
    "meta[property='article:published_time']::attr(content)",
    "meta[itemprop='datePublished']::attr(content)",
    "meta[name='pubdate']::attr(content)",
    "time[datetime]::attr(datetime)",
)
_META_AUTHOR = (
    "meta[name='author']::attr(content)",
    "meta[property='article:author']::attr(content)",
)


class ExtractionError(ValueError):
    """No article text could be found on the page."""


@dataclass(frozen=True)
class Extracted:
    title: str
    text: str
    author: str | None
    published_at: datetime | None


def extract_article(html: str, url: str, selectors: dict[str, str] | None = None) -> Extracted:
    """Title, text, author and time of an article page.

    Selectors (CSS, or XPath when they start with '/' or '(') are for sites where generic
    extraction picks the wrong block; keys: title, text, author, published.
    """
    page = Selector(text=html)
    selectors = selectors or {}
    if "text" in selectors:
        text = html_to_text("\n".join(_select(page, selectors["text"])))
        title = normalize_text(" ".join(_select(page, selectors.get("title", "h1 ::text"))))
    else:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, favor_precision=True
        )
        text = normalize_text(getattr(doc, "text", None) or "") if doc else ""
        title = normalize_text(getattr(doc, "title", None) or "") if doc else ""
    if not text:
        raise ExtractionError("no article text found on the page")
    title = title or normalize_text(page.css("title::text").get() or "")
    first, _, rest = text.partition("\n")
    if rest and title and first.strip() == title:
        text = rest.strip()

    author = _first(page, [selectors["author"]] if "author" in selectors else _META_AUTHOR)
    published = _first(page, [selectors["published"]] if "published" in selectors else _META_TIME)
    return Extracted(
        title,
        text,
        normalize_text(author) if author else None,
        parse_time(published) if published else None,
    )


def _select(page: Selector, query: str) -> list[str]:
    if query.startswith(("/", "(")):
        return page.xpath(query).getall()
    return page.css(query).getall()


def _first(page: Selector, queries: list[str] | tuple[str, ...]) -> str | None:
    for query in queries:
        values = [v.strip() for v in _select(page, query) if v and v.strip()]
        if values:
            return " ".join(values) if "::text" in query else values[0]
    return None
