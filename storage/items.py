"""Item writes: stored once per canonical URL, owned by the source that stored it first.

Ownership: one canonical URL is one row, and only its source (``source_id``) may change it
afterwards. Another source listing the same URL (a social page sharing an official article
with ``utm_`` parameters and its own caption) is "unchanged": its caption never replaces the
owner's title and text, and the item keeps the owner's trust in scoring. Keying rows on
(source, URL) instead would store the same article twice and alert on it twice; the story
grouping already shows how widely a claim spread, from the sources' own items.

Bytes a database cannot keep (NUL, which PostgreSQL refuses in text, and other C0/C1 control
characters except tab and newline) are stripped here, at the storage boundary, whatever the
collector was. A row that still cannot be written fails alone, in its own savepoint: the
rest of the batch is stored and the failure is returned for its source's error count.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from storage.models import Item, utcnow

UpsertOutcome = Literal["new", "updated", "unchanged"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
log = logging.getLogger("press_monitor.storage")


class StorageError(RuntimeError):
    """One item could not be written; nothing else was lost."""


@dataclass(frozen=True, slots=True)
class EntryError:
    """An entry of a batch that could not be stored, and why (for its source's errors)."""

    url: str
    reason: str


def clean(value: str) -> str:
    """Text as a database can keep it: control characters other than tab and newline go
    (a carriage return becomes a newline)."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


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
    """Insert or update one item by canonical URL; StorageError if it cannot be written."""
    (outcome,) = upsert_items(session, [data])
    if isinstance(outcome, EntryError):
        raise StorageError(f"{outcome.url}: {outcome.reason}")
    return outcome


def upsert_items(session: Session, batch: list[ItemData]) -> list[UpsertOutcome | EntryError]:
    """Insert or update items by canonical URL, with one lookup for the whole batch.

    An item changes only when what its source delivered changed (``source_hash``): a feed
    re-sending the same short summary must not overwrite the full text fetched later. A
    changed entry whose new text is only a summary keeps the old text until its article
    page is fetched again (``needs_fulltext``). Only the owning source changes an item.
    """
    batch = [_cleaned(d) for d in batch]
    found = {
        item.canonical_url: item
        for chunk in _chunks([d.canonical_url for d in batch])
        for item in session.scalars(select(Item).where(Item.canonical_url.in_(chunk)))
    }
    outcomes: list[UpsertOutcome | EntryError] = []
    for data in batch:
        try:
            outcomes.append(_upsert_one(session, data, found))
        except (SQLAlchemyError, ValueError) as exc:
            reason = f"not stored: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
            log.warning("item %s %s", data.url, reason)
            found.pop(data.canonical_url, None)
            outcomes.append(EntryError(data.url, reason))
    return outcomes


def _upsert_one(session: Session, data: ItemData, found: dict[str, Item]) -> UpsertOutcome:
    existing = found.get(data.canonical_url)
    if existing is None:
        item = _insert(session, data)
        if item is None:  # inserted meanwhile by another process: treat as an update
            existing = session.scalar(select(Item).where(Item.canonical_url == data.canonical_url))
            if existing is None:
                return "unchanged"
            found[data.canonical_url] = existing
        else:
            found[data.canonical_url] = item
            return "new"
    if not _changes(existing, data):
        return "unchanged"  # the common case of a re-read feed: no savepoint needed
    with session.begin_nested():
        outcome = _update(existing, data)
        session.flush()
    return outcome


def _changes(item: Item, data: ItemData) -> bool:
    """Whether ``data`` may change ``item``: its owner delivered something new."""
    return (
        item.source_id == data.source_id
        and not item.purged
        and (item.source_hash or item.content_hash) != content_hash(data.title, data.text)
    )


def _cleaned(data: ItemData) -> ItemData:
    return replace(
        data,
        title=clean(data.title),
        text=clean(data.text),
        author=clean(data.author) if data.author is not None else None,
    )


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
    if not _changes(item, data):  # unchanged, purged, or another source's listing of it
        return "unchanged"
    delivered = content_hash(data.title, data.text)
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
    source_id: int | None = None,
) -> UpsertOutcome:
    """Fill in the article text of an item stored from a short feed entry (by its owner,
    when ``source_id`` is given)."""
    item = session.scalar(select(Item).where(Item.canonical_url == canonical_url))
    if item is None or (source_id is not None and item.source_id != source_id):
        return "unchanged"
    text, author = clean(text), clean(author) if author is not None else None
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
