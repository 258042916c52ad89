"""Item writes: stored once per canonical URL, updated when the content changes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Item, utcnow

UpsertOutcome = Literal["new", "updated", "unchanged"]


def content_hash(title: str, text: str) -> str:
    """Identity of an item's content: a change of title or text is a new version."""
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ItemData:
    source_id: int
    url: str
    canonical_url: str
    title: str
    text: str
    author: str | None = None
    published_at: datetime | None = None
    needs_fulltext: bool = False


def upsert_item(session: Session, data: ItemData) -> UpsertOutcome:
    """Insert or update by canonical URL. Safe against a concurrent insert of the same URL."""
    digest = content_hash(data.title, data.text)
    existing = session.scalar(select(Item).where(Item.canonical_url == data.canonical_url))
    if existing is None:
        item = Item(
            source_id=data.source_id,
            url=data.url,
            canonical_url=data.canonical_url,
            title=data.title,
            text=data.text,
            content_hash=digest,
            author=data.author,
            published_at=data.published_at,
            needs_fulltext=data.needs_fulltext,
        )
        try:
            with session.begin_nested():
                session.add(item)
        except IntegrityError:
            return upsert_item(session, data)
        return "new"
    if existing.content_hash == digest or existing.purged:
        return "unchanged"
    existing.title = data.title
    existing.text = data.text
    existing.content_hash = digest
    existing.author = data.author or existing.author
    existing.published_at = data.published_at or existing.published_at
    existing.updated_at = utcnow()
    return "updated"


def existing_urls(session: Session, canonical_urls: list[str]) -> set[str]:
    """Which of these canonical URLs are stored (chunked: IN lists have limits)."""
    found: set[str] = set()
    for i in range(0, len(canonical_urls), 500):
        chunk = canonical_urls[i : i + 500]
        found.update(
            session.scalars(
                select(Item.canonical_url).where(
                    Item.canonical_url.in_(chunk), Item.needs_fulltext.is_(False)
                )
            )
        )
    return found


def items_needing_fulltext(
    session: Session, source_id: int, since: datetime, limit: int = 200
) -> list[str]:
    """Feed entries still waiting for their article text (a crash or a failed fetch)."""
    return list(
        session.scalars(
            select(Item.url)
            .where(
                Item.source_id == source_id, Item.needs_fulltext.is_(True), Item.fetched_at >= since
            )
            .order_by(Item.id)
            .limit(limit)
        )
    )


def complete_text(
    session: Session,
    canonical_url: str,
    text: str,
    author: str | None,
    published_at: datetime | None,
) -> UpsertOutcome:
    """Fill in the article text of an item stored from a short feed entry."""
    item = session.scalar(select(Item).where(Item.canonical_url == canonical_url))
    if item is None:
        return "unchanged"
    item.needs_fulltext = False
    if len(text) <= len(item.text) or item.purged:
        return "unchanged"
    item.text = text
    item.content_hash = content_hash(item.title, text)
    item.author = item.author or author
    item.published_at = item.published_at or published_at
    item.updated_at = utcnow()
    return "updated"


def give_up_fulltext(session: Session, canonical_url: str) -> None:
    item = session.scalar(select(Item).where(Item.canonical_url == canonical_url))
    if item is not None:
        item.needs_fulltext = False
