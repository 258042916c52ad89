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
    reply_to: str | None = None


def upsert_item(session: Session, data: ItemData) -> UpsertOutcome:
    """Insert or update one item by canonical URL."""
    return upsert_items(session, [data])[0]


def upsert_items(session: Session, batch: list[ItemData]) -> list[UpsertOutcome]:
    """Insert or update items by canonical URL, with one lookup for the whole batch.

    An item changes only when what its source delivered changed (``source_hash``): a feed
    re-sending the same short summary must not overwrite the full text fetched later. A
    changed entry whose new text is only a summary keeps the old text until its article
    page is fetched again (``needs_fulltext``).
    """
    found = {
        item.canonical_url: item
        for chunk in _chunks([d.canonical_url for d in batch])
        for item in session.scalars(select(Item).where(Item.canonical_url.in_(chunk)))
    }
    outcomes: list[UpsertOutcome] = []
    for data in batch:
        existing = found.get(data.canonical_url)
        if existing is None:
            item = _insert(session, data)
            if item is None:  # inserted meanwhile by another process: treat as an update
                outcomes.append(upsert_items(session, [data])[0])
                continue
            found[data.canonical_url] = item
            outcomes.append("new")
        else:
            outcomes.append(_update(existing, data))
    return outcomes


def _insert(session: Session, data: ItemData) -> Item | None:
    digest = content_hash(data.title, data.text)
    item = Item(
        source_id=data.source_id,
        url=data.url,
        canonical_url=data.canonical_url,
        title=data.title,
        text=data.text,
        content_hash=digest,
        source_hash=digest,
        author=data.author,
        published_at=data.published_at,
        needs_fulltext=data.needs_fulltext,
        reply_to=data.reply_to,
    )

    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        return None
    return item


def _update(item: Item, data: ItemData) -> UpsertOutcome:
    delivered = content_hash(data.title, data.text)
    if item.purged or (item.source_hash or item.content_hash) == delivered:
        return "unchanged"
    item.source_hash = delivered
    item.title = data.title
    if data.needs_fulltext and len(data.text) < len(item.text):
        item.needs_fulltext = True
    else:
        item.text = data.text
    item.content_hash = content_hash(item.title, item.text)
    item.author = data.author or item.author
    item.published_at = data.published_at or item.published_at
    item.updated_at = utcnow()
    return "updated"


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def existing_urls(session: Session, canonical_urls: list[str]) -> set[str]:
    """Which of these canonical URLs are stored (chunked: IN lists have limits)."""
    found: set[str] = set()
    for chunk in _chunks(canonical_urls):
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
