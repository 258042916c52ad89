"""Item writes: stored once per canonical URL, updated when the content changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Item, utcnow

UpsertOutcome = Literal["new", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class ItemData:
    source_id: int
    url: str
    canonical_url: str
    title: str
    text: str
    content_hash: str
    author: str | None = None
    published_at: datetime | None = None


def upsert_item(session: Session, data: ItemData) -> UpsertOutcome:
    """Insert or update by canonical URL. Safe against a concurrent insert of the same URL."""
    existing = session.scalar(select(Item).where(Item.canonical_url == data.canonical_url))
    if existing is None:
        item = Item(
            source_id=data.source_id,
            url=data.url,
            canonical_url=data.canonical_url,
            title=data.title,
            text=data.text,
            content_hash=data.content_hash,
            author=data.author,
            published_at=data.published_at,
        )
        try:
            with session.begin_nested():
                session.add(item)
        except IntegrityError:
            return upsert_item(session, data)
        return "new"
    if existing.content_hash == data.content_hash or existing.purged:
        return "unchanged"
    existing.title = data.title
    existing.text = data.text
    existing.content_hash = data.content_hash
    existing.author = data.author or existing.author
    existing.published_at = data.published_at or existing.published_at
    existing.updated_at = utcnow()
    return "updated"
