"""Item writes: stored once per canonical URL, owned by the source that stored it first.

Ownership: one canonical URL is one row, and only its source (``source_id``) may change it
afterwards. Another source listing the same URL (a social page sharing an official article
with ``utm_`` parameters and its own caption) is "unchanged": its caption never replaces the
owner's title and text, and the item keeps the owner's trust in scoring. Keying rows on
(source, URL) instead would store the same article twice and alert on it twice; the story
grouping already shows how widely a claim spread, from the sources' own items.

Bytes a database cannot keep (NUL, which PostgreSQL refuses in text, and other C0/C1 control
characters except tab and newline) are stripped here, at the storage boundary, whatever the
collector was.

Writes are batched (the crawl stores a feed's entries, or 50 article texts, at once): one
SELECT finds the stored rows of the whole batch, the outcome of every entry is decided in
Python against those rows (in order, so two entries of one batch with the same URL behave as
if stored one after the other), and the new and changed rows are written with one
executemany INSERT and one executemany UPDATE, in one savepoint. An ORM object, a savepoint
and a flush per row were a fifth of the crawler's CPU time. When the batch fails (a row the
database refuses, a row another process inserted meanwhile), the savepoint is rolled back
and the entries are stored one by one, each in its own savepoint: the rest of the batch is
stored and the failure is returned for its source's error count.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from storage.models import Item, utcnow

UpsertOutcome = Literal["new", "updated", "unchanged"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ITEMS = Item.__table__
log = logging.getLogger("press_monitor.storage")
T = TypeVar("T")


class StorageError(RuntimeError):
    """One item could not be written; nothing else was lost."""


@dataclass(frozen=True, slots=True)
class EntryError:
    """An entry of a batch that could not be stored, and why (for its source's errors)."""

    url: str
    reason: str
    # a passing refusal (a deadlock with another transaction, a lock or connection
    # timeout): the same entry may be stored by another transaction
    transient: bool = False


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


@dataclass(frozen=True, slots=True)
class FullText:
    """The article text of an item stored from a short feed entry (by its owner, when
    ``source_id`` is given)."""

    canonical_url: str
    text: str
    author: str | None = None
    published_at: datetime | None = None
    source_id: int | None = None


@dataclass(slots=True)
class _Row:
    """What a batch needs of a stored (or about to be inserted) item, and what it changed."""

    id: int | None  # None: inserted by this batch
    source_id: int
    purged: bool
    source_hash: str | None
    content_hash: str
    title: str
    text: str
    author: str | None
    published_at: datetime | None
    needs_fulltext: bool
    updated_at: datetime | None = None
    url: str = ""
    canonical_url: str = ""
    reply_to: str | None = None

    def changed(self) -> dict[str, Any]:
        """Parameters of the batch UPDATE (by ``b_id``)."""
        return {"b_id": self.id, **{name: getattr(self, name) for name in _CHANGEABLE}}

    def inserted(self) -> dict[str, Any]:
        """Parameters of the batch INSERT."""
        return {
            "source_id": self.source_id,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "reply_to": self.reply_to,
            "fetched_at": self.updated_at,
            **{name: getattr(self, name) for name in _CHANGEABLE},
        }


# The columns a batch may change on a stored item.
_CHANGEABLE = (
    "source_hash",
    "content_hash",
    "title",
    "text",
    "author",
    "published_at",
    "needs_fulltext",
    "updated_at",
)


_LOADED = (
    _ITEMS.c.canonical_url,
    _ITEMS.c.id,
    _ITEMS.c.source_id,
    _ITEMS.c.purged,
    _ITEMS.c.source_hash,
    _ITEMS.c.content_hash,
    _ITEMS.c.title,
    _ITEMS.c.text,
    _ITEMS.c.author,
    _ITEMS.c.published_at,
    _ITEMS.c.needs_fulltext,
    _ITEMS.c.updated_at,
)
# Built once with an expanding parameter: a statement built per batch spent more on its
# construction and cache key than on the query (the crawl runs one per feed).
_URL_IN = _ITEMS.c.canonical_url.in_(bindparam("urls", expanding=True))
_LOAD = select(*_LOADED).where(_URL_IN)
_KNOWN = select(_ITEMS.c.canonical_url).where(_URL_IN, _ITEMS.c.needs_fulltext.is_(False))
_UPDATE = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in _CHANGEABLE})
)


def upsert_item(session: Session, data: ItemData) -> UpsertOutcome:
    """Insert or update one item by canonical URL; StorageError if it cannot be written."""
    (outcome,) = upsert_items(session, [data])
    if isinstance(outcome, EntryError):
        raise StorageError(f"{outcome.url}: {outcome.reason}")
    return outcome


def upsert_items(session: Session, batch: list[ItemData]) -> list[UpsertOutcome | EntryError]:
    """Insert or update items by canonical URL, in one batch (see the module docstring).

    An item changes only when what its source delivered changed (``source_hash``): a feed
    re-sending the same short summary must not overwrite the full text fetched later. A
    changed entry whose new text is only a summary keeps the old text until its article
    page is fetched again (``needs_fulltext``). Only the owning source changes an item.
    """
    cleaned = [_cleaned(d) for d in batch]
    return _batched(session, cleaned, _upsert_batch, lambda d: d.url)


def complete_texts(session: Session, batch: Sequence[FullText]) -> list[UpsertOutcome | EntryError]:
    """Fill in the article texts of items stored from short feed entries, in one batch.

    The entry stops waiting for its text (``needs_fulltext``) whatever the page gave; its
    text is replaced only by a longer one, and never on a purged item or by another source.
    """
    cleaned = [
        replace(f, text=clean(f.text), author=clean(f.author) if f.author is not None else None)
        for f in batch
    ]
    return _batched(session, cleaned, _complete_batch, lambda f: f.canonical_url)


def complete_text(
    session: Session,
    canonical_url: str,
    text: str,
    author: str | None,
    published_at: datetime | None,
    source_id: int | None = None,
) -> UpsertOutcome:
    """Fill in the article text of one item (see complete_texts); StorageError if it cannot
    be written."""
    (outcome,) = complete_texts(
        session, [FullText(canonical_url, text, author, published_at, source_id)]
    )
    if isinstance(outcome, EntryError):
        raise StorageError(f"{outcome.url}: {outcome.reason}")
    return outcome


def _batched(
    session: Session,
    batch: list[T],
    write: Callable[[Session, list[T]], list[UpsertOutcome]],
    url: Callable[[T], str],
) -> list[UpsertOutcome | EntryError]:
    """``write`` the batch in one savepoint; when that fails, each entry in its own."""
    if not batch:
        return []
    try:
        with session.begin_nested():
            return list(write(session, batch))
    except (SQLAlchemyError, ValueError):
        if len(batch) > 1:
            log.info("a batch of %d items failed; storing them one by one", len(batch))
    return [_alone(session, entry, write, url) for entry in batch]


def _alone(
    session: Session,
    entry: T,
    write: Callable[[Session, list[T]], list[UpsertOutcome]],
    url: Callable[[T], str],
) -> UpsertOutcome | EntryError:
    """One entry in its own savepoint; a second try when another process inserted its URL
    between our SELECT and our INSERT (then it is an update)."""
    for attempt in (1, 2):
        try:
            with session.begin_nested():
                (outcome,) = write(session, [entry])
            return outcome
        except IntegrityError as exc:
            if attempt == 2:
                return _refused(url(entry), exc)
        except (SQLAlchemyError, ValueError) as exc:
            return _refused(url(entry), exc)
    raise AssertionError("unreachable")


def _refused(url: str, exc: Exception) -> EntryError:
    reason = f"not stored: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    log.warning("item %s %s", url, reason)
    return EntryError(url, reason, transient=isinstance(exc, OperationalError))


def _load(session: Session, canonical_urls: list[str]) -> dict[str, _Row]:
    found: dict[str, _Row] = {}
    for chunk in _chunks(list(dict.fromkeys(canonical_urls))):
        for canonical, *rest in session.execute(_LOAD, {"urls": chunk}):
            found[canonical] = _Row(*rest)
    return found


def _upsert_batch(session: Session, batch: list[ItemData]) -> list[UpsertOutcome]:
    rows = _load(session, [d.canonical_url for d in batch])
    now = utcnow()
    inserts: list[_Row] = []
    updates: dict[int, _Row] = {}
    outcomes: list[UpsertOutcome] = []
    for data in batch:
        row = rows.get(data.canonical_url)
        if row is None:
            rows[data.canonical_url] = row = _new_row(data, now)
            inserts.append(row)
            outcomes.append("new")
        elif _changes(row, data):
            _update(row, data, now)
            if row.id is not None:
                updates[row.id] = row
            outcomes.append("updated")
        else:
            outcomes.append("unchanged")  # the common case of a re-read feed
    _write(session, inserts, list(updates.values()))
    return outcomes


def _complete_batch(session: Session, batch: list[FullText]) -> list[UpsertOutcome]:
    rows = _load(session, [f.canonical_url for f in batch])
    now = utcnow()
    touched: dict[int, _Row] = {}
    outcomes: list[UpsertOutcome] = []
    for full in batch:
        row = rows.get(full.canonical_url)
        if row is None or row.id is None:
            outcomes.append("unchanged")
            continue
        if full.source_id is not None and row.source_id != full.source_id:
            outcomes.append("unchanged")
            continue
        if row.needs_fulltext:
            row.needs_fulltext = False
            touched[row.id] = row
        if len(full.text) <= len(row.text) or row.purged:
            outcomes.append("unchanged")
            continue
        row.text = full.text
        row.content_hash = content_hash(row.title, full.text)
        row.author = row.author or full.author
        row.published_at = row.published_at or full.published_at
        row.updated_at = now
        touched[row.id] = row
        outcomes.append("updated")
    _write(session, [], list(touched.values()))
    return outcomes


def _write(session: Session, inserts: list[_Row], updates: list[_Row]) -> None:
    if inserts:
        session.execute(insert(_ITEMS), [row.inserted() for row in inserts])
    if updates:
        # rows locked in the order of their ids, as story grouping (alerts/stories.py) locks
        # them: a crawler's batch and a worker's grouping wait for each other, never in a
        # circle (a deadlock, which PostgreSQL breaks by refusing one of them)
        ordered = sorted(updates, key=lambda row: row.id or 0)
        session.execute(_UPDATE, [row.changed() for row in ordered])


def _new_row(data: ItemData, now: datetime) -> _Row:
    digest = content_hash(data.title, data.text)
    return _Row(
        id=None,
        source_id=data.source_id,
        purged=False,
        source_hash=digest,
        content_hash=digest,
        title=data.title,
        text=data.text,
        author=data.author,
        published_at=data.published_at,
        needs_fulltext=data.needs_fulltext,
        updated_at=now,
        url=data.url,
        canonical_url=data.canonical_url,
        reply_to=data.reply_to,
    )


def _changes(row: _Row, data: ItemData) -> bool:
    """Whether ``data`` may change ``row``: its owner delivered something new."""
    return (
        row.source_id == data.source_id
        and not row.purged
        and (row.source_hash or row.content_hash) != content_hash(data.title, data.text)
    )


def _cleaned(data: ItemData) -> ItemData:
    return replace(
        data,
        title=clean(data.title),
        text=clean(data.text),
        author=clean(data.author) if data.author is not None else None,
    )


def _update(row: _Row, data: ItemData, now: datetime) -> None:
    row.source_hash = content_hash(data.title, data.text)
    row.title = data.title
    if data.needs_fulltext and len(data.text) < len(row.text):
        row.needs_fulltext = True
    else:
        row.text = data.text
    row.content_hash = content_hash(row.title, row.text)
    row.author = data.author or row.author
    row.published_at = data.published_at or row.published_at
    row.updated_at = now


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def existing_urls(db: Session | Connection, canonical_urls: list[str]) -> set[str]:
    """Which of these canonical URLs are stored (chunked: IN lists have limits); a plain
    connection will do, as the crawl asks once per feed."""
    found: set[str] = set()
    for chunk in _chunks(canonical_urls):
        found.update(db.scalars(_KNOWN, {"urls": chunk}))
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


def give_up_fulltext(session: Session, canonical_url: str) -> None:
    item = session.scalar(select(Item).where(Item.canonical_url == canonical_url))
    if item is not None:
        item.needs_fulltext = False
