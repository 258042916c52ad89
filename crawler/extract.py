"""Article extraction from HTML: per-site selectors when configured, trafilatura otherwise,
and the body's visible text when trafilatura finds nothing on a page that has some."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

import trafilatura
from parsel import Selector
from trafilatura.settings import Extractor

from crawler.text import BLOCK_TAGS, html_to_text, normalize_text
from crawler.times import parse_time

_META_TIME = (
    "meta[property='article:published_time']::attr(content)",
    "meta[itemprop='datePublished']::attr(content)",
    "meta[name='pubdate']::attr(content)",
    "time[datetime]::attr(datetime)",
)
_META_TITLE = (
    "meta[property='og:title']::attr(content)",
    "h1 ::text",
    "title::text",
)
_META_AUTHOR = (
    "meta[name='author']::attr(content)",
    "meta[property='article:author']::attr(content)",
)


# What trafilatura.bare_extraction(url=..., with_metadata=False, include_comments=False,
# favor_precision=True) builds on every call from its configparser defaults (nine lookups:
# about 2% of a collection's CPU time); built once here, copied per page with the page's URL.
_OPTIONS = Extractor(output_format="python", precision=True, comments=False, with_metadata=False)


def _trafilatura_options(url: str) -> Extractor:
    options = copy.copy(_OPTIONS)
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8")
    return options


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
    metas = _metas(page)
    title = normalize_text(_first(page, _queries(selectors, "title", _META_TITLE), metas) or "")
    author = _first(page, _queries(selectors, "author", _META_AUTHOR), metas)
    published = _first(page, _queries(selectors, "published", _META_TIME), metas)
    if "text" in selectors:
        text = html_to_text("\n".join(_select(page, selectors["text"])))
    else:
        # The page is parsed once: trafilatura works on (a copy of) the same lxml tree.
        doc = trafilatura.bare_extraction(page.root, options=_trafilatura_options(url))
        text = normalize_text(getattr(doc, "text", None) or "") if doc else ""
        if not text:
            # trafilatura gives up on some pages that do have text (255 nested inline tags
            # are enough); the body's visible text is better than losing the article.
            text = body_text(html)
    if not text:
        raise ExtractionError("no article text found on the page")
    first, _, rest = text.partition("\n")
    if rest and title and first.strip() == title:
        text = rest.strip()

    return Extracted(
        title,
        text,
        normalize_text(author) if author else None,
        parse_time(published) if published else None,
    )


MAX_LINK_SHARE = 0.5
_NOT_TEXT = "//script|//style|//noscript|//template|//nav|//header|//footer|//aside|//form"


def body_text(html: str) -> str:
    """The visible text of the page's body, without scripts, styles and navigation.

    Parsed again (trafilatura prunes the first tree) with parsel, whose lxml parser keeps
    deep trees that lxml.html's defaults cut off. A page whose text is mostly link text (a
    listing page, a menu) has no article: nothing is returned for it.
    """
    root = Selector(text=html).root
    if not isinstance(getattr(root, "tag", None), str):
        return ""
    bodies = root.xpath("//body")
    body = bodies[0] if bodies else root
    for bad in body.xpath(_NOT_TEXT):
        bad.drop_tree()
    for element in body.iter():
        if isinstance(element.tag, str) and element.tag.lower() in BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    text = normalize_text(body.text_content())
    linked = sum(len(normalize_text(a.text_content())) for a in body.xpath(".//a"))
    return "" if linked > MAX_LINK_SHARE * len(text) else text


def _queries(selectors: dict[str, str], key: str, defaults: tuple[str, ...]) -> tuple[str, ...]:
    return (selectors[key],) if key in selectors else defaults


def _select(page: Selector, query: str) -> list[str]:
    if query.startswith(("/", "(")):
        return page.xpath(query).getall()
    return page.css(query).getall()


def _first(
    page: Selector, queries: list[str] | tuple[str, ...], metas: _Metas | None = None
) -> str | None:
    for query in queries:
        found = _META_QUERIES.get(query) if metas is not None else None
        matched = metas.get(found, ()) if found is not None else _select(page, query)
        values = [v.strip() for v in matched if v and v.strip()]
        if values:
            return " ".join(values) if "::text" in query else values[0]
    return None


# The default metadata queries that read a <meta> tag's content: answered from one walk over
# the page's meta tags (``_metas``) instead of one search of the whole tree each (nine per
# page: a twentieth of the extraction's time). A selector configured for a site goes to
# parsel as written.
_META_QUERIES = {
    f"meta[{attribute}='{value}']::attr(content)": (attribute, value)
    for attribute, value in (
        ("property", "og:title"),
        ("name", "author"),
        ("property", "article:author"),
        ("property", "article:published_time"),
        ("itemprop", "datePublished"),
        ("name", "pubdate"),
    )
}
_Metas = dict[tuple[str, str], list[str]]


def _metas(page: Selector) -> _Metas:
    """The content of every meta tag by (attribute, value), in document order: what
    ``page.css("meta[ATTRIBUTE='VALUE']::attr(content)")`` gives for each."""
    found: _Metas = {}
    root = page.root
    if not hasattr(root, "iter"):
        return found
    for meta in root.iter("meta"):
        content = meta.get("content")
        if content is None:
            continue
        for attribute in ("property", "name", "itemprop"):
            value = meta.get(attribute)
            if value is not None:
                found.setdefault((attribute, value), []).append(content)
    return found
