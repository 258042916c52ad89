"""What spiders hand to the storage pipeline.

A feed is stored as one ``FeedDocument``: its entries and its new fetch state (ETag,
Last-Modified) are written in one transaction, so a crash can never save the ETag of a feed
whose entries were not stored (the next run would get a 304 and lose them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Entry:
    url: str
    title: str
    text: str
    author: str | None = None
    published_at: datetime | None = None
    needs_fulltext: bool = False


@dataclass
class FeedDocument:
    source_id: int
    status: int
    etag: str | None = None
    last_modified: str | None = None
    entries: list[Entry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class Article:
    """An article page, a channel message, or the full text of a feed entry
    (``completes_entry``: then only its text is filled in)."""

    source_id: int
    url: str
    title: str
    text: str
    author: str | None = None
    published_at: datetime | None = None
    completes_entry: bool = False


@dataclass
class PageFetched:
    """A listing or channel page was fetched: it counts as a request and a success."""

    source_id: int
    status: int
    etag: str | None = None
    last_modified: str | None = None
    api_units: int = 0  # quota an API charged for this page (YouTube)


@dataclass
class FetchFailure:
    """A failed fetch. ``article``: of one article (the source itself is fine);
    ``permanent``: retrying will not help (404, robots.txt, no text on the page)."""

    source_id: int
    reason: str
    status: int | None = None
    url: str | None = None
    article: bool = False
    permanent: bool = False


@dataclass
class Overflow:
    """What a source offered beyond this run's caps: feed entries not taken, article links
    not followed (left for later runs). Not a request; counted in the run's stats."""

    source_id: int
    entries: int = 0
    links: int = 0
