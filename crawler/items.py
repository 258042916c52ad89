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


@dataclass
class FeedDocument:
    source_id: int
    status: int
    etag: str | None = None
    last_modified: str | None = None
    entries: list[Entry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class FetchFailure:
    source_id: int
    reason: str
    status: int | None = None
