"""Parse feed bytes (RSS 0.9x/1.0/2.0, Atom) into entries with clean text and UTC times.

feedparser does the hard part: encodings, CDATA, entities, dozens of date formats. This
module decides what counts as a broken feed and turns entries into our shape.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from crawler.encoding import charset_from_content_type, decode_body
from crawler.items import Entry
from crawler.text import html_to_text, normalize_text

_XML_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding=["'])[^"']+""")


class FeedError(ValueError):
    """The response is not a usable feed; the message says why."""


def parse_feed(body: bytes, content_type: str | None = None) -> tuple[list[Entry], list[str]]:
    """Entries of a feed, and a reason for each entry that had to be skipped."""
    if not body.strip():
        raise FeedError("empty response")
    parsed = feedparser.parse(
        _as_utf8(body, content_type),
        response_headers={"content-type": "application/xml; charset=utf-8"},
    )
    if not parsed.entries:
        if parsed.get("bozo"):
            raise FeedError(f"not a valid feed: {_describe(parsed.get('bozo_exception'))}")
        if not parsed.get("version"):
            raise FeedError("not a feed (no RSS or Atom root element)")
        return [], []
    entries: list[Entry] = []
    skipped: list[str] = []
    for index, raw in enumerate(parsed.entries):
        link = (raw.get("link") or "").strip()
        if not link.startswith(("http://", "https://")):
            skipped.append(f"entry {index + 1}: no http(s) link")
            continue
        entries.append(
            Entry(
                url=link,
                title=html_to_text(raw.get("title") or "").replace("\n", " "),
                text=_entry_text(raw),
                author=normalize_text(raw.get("author") or "") or None,
                published_at=_entry_time(raw),
            )
        )
    if not entries:
        reason = _describe(parsed.get("bozo_exception")) if parsed.get("bozo") else "no usable"
        raise FeedError(f"no usable entries ({reason}; {'; '.join(skipped[:3])})")
    if parsed.get("bozo"):
        skipped.append(f"feed is not well-formed: {_describe(parsed.get('bozo_exception'))}")
    return entries, skipped


def _as_utf8(body: bytes, content_type: str | None) -> bytes:
    """Decode once, our way (a wrong charset declaration is common), and hand feedparser
    UTF-8 with a matching XML declaration."""
    text = decode_body(body, charset_from_content_type(content_type))
    text = _XML_DECL_ENCODING.sub(r"\1utf-8", text, count=1)
    return text.encode("utf-8")


def _entry_text(raw: Any) -> str:
    """The longest body the feed gives: full content when present, else the summary."""
    candidates = [c.get("value", "") for c in raw.get("content", []) or []]
    candidates.append(raw.get("summary") or "")
    best = max(candidates, key=len)
    return html_to_text(best)


def _entry_time(raw: Any) -> datetime | None:
    """feedparser gives struct_time already converted to UTC; store it naive UTC."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC).replace(tzinfo=None)
    return None


def _describe(exc: object) -> str:
    if exc is None:
        return "unknown parse error"
    return f"{type(exc).__name__}: {exc}"[:300]
