"""Story grouping: near-duplicate items across sources become one story.

Each item's text is reduced to word shingles and a MinHash signature (datasketch). Its
signature is cut into LSH bands; the band keys of every grouped item are stored, so a new
item finds candidate stories with one indexed lookup and joins the best one whose
signature is similar enough, without recomputing any pair. A shared paragraph of
boilerplate is a small part of two different articles, so their similarity stays low.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Item, Source, Story, StoryBand, utcnow

NUM_PERM = 128
BANDS, ROWS = 32, 4  # candidates from about 0.3 similarity; verified at THRESHOLD
THRESHOLD = 0.5
SHINGLE_WORDS = 4
MIN_WORDS = 8
_WORD = re.compile(r"\w+")
_SCHEME = "affine32"

Normalizer = Callable[[str], str]


@dataclass(frozen=True)
class Spread:
    """How far and fast a story went, for the digest."""

    story_id: int
    first_seen: datetime
    items: int
    last_24h: int
    per_source: list[tuple[str, int]]


def signature(text: str, normalize: Normalizer) -> np.ndarray | None:
    words = _WORD.findall(normalize(text))
    if len(words) < MIN_WORDS:
        return None
    shingles = {
        " ".join(words[i : i + SHINGLE_WORDS]).encode()
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }
    minhash = _minhash()

    minhash.update_batch(list(shingles))
    return minhash.hashvalues


def band_keys(hashes: np.ndarray) -> list[str]:
    keys = []
    for band in range(BANDS):
        chunk = hashes[band * ROWS : (band + 1) * ROWS].tobytes()
        keys.append(f"{band}:{hashlib.blake2b(chunk, digest_size=12).hexdigest()}")
    return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def group_items(session: Session, normalize: Normalizer, batch_size: int = 500) -> int:
    """Put every item not yet in a story into one; returns how many were grouped."""
    grouped = 0
    while True:
        items = session.execute(
            select(Item.id, Item.title, Item.text, Item.fetched_at)
            .where(Item.story_id.is_(None), Item.purged.is_(False))
            .order_by(Item.id)
            .limit(batch_size)
        ).all()
        if not items:
            return grouped
        for item_id, title, text, seen in items:
            assign(session, item_id, f"{title}\n{text}", seen, normalize)
            grouped += 1
        session.flush()


def assign(session: Session, item_id: int, text: str, seen: datetime, normalize: Normalizer) -> int:
    """Attach one item to its story (a new one when nothing is similar); the story id."""
    hashes = signature(text, normalize)
    item = session.get_one(Item, item_id)
    if hashes is None:
        story = Story(signature=[], first_seen_at=seen, last_seen_at=seen, item_count=0)
        session.add(story)
        session.flush()
        keys: list[str] = []
    else:
        keys = band_keys(hashes)
        story = _best_candidate(session, keys, hashes)
        if story is None:
            story = Story(
                signature=[int(h) for h in hashes],
                first_seen_at=seen,
                last_seen_at=seen,
                item_count=0,
            )
            session.add(story)
            session.flush()
    item.story_id = story.id
    story.item_count += 1
    story.first_seen_at = min(story.first_seen_at, seen)
    story.last_seen_at = max(story.last_seen_at, seen)
    _add_keys(session, story.id, keys)
    return story.id


def _best_candidate(session: Session, keys: list[str], hashes: np.ndarray) -> Story | None:
    candidate_ids = set(
        session.scalars(select(StoryBand.story_id).where(StoryBand.band_key.in_(keys)))
    )
    best, best_score = None, THRESHOLD
    for story in session.scalars(select(Story).where(Story.id.in_(candidate_ids))):
        score = similarity(hashes, np.array(story.signature, dtype=np.uint64))
        if score >= best_score:
            best, best_score = story, score
    return best


def _add_keys(session: Session, story_id: int, keys: Iterable[str]) -> None:
    keys = list(keys)
    if not keys:
        return
    known = set(
        session.scalars(
            select(StoryBand.band_key).where(
                StoryBand.story_id == story_id, StoryBand.band_key.in_(keys)
            )
        )
    )
    session.add_all(StoryBand(band_key=k, story_id=story_id) for k in keys if k not in known)


def spread(
    session: Session,
    story_ids: Iterable[int],
    now: datetime | None = None,
) -> dict[int, Spread]:
    now = now or utcnow()
    ids = list(set(story_ids))
    if not ids:
        return {}
    per_source: dict[int, list[tuple[str, int]]] = {i: [] for i in ids}
    for story_id, name, count in session.execute(
        select(Item.story_id, Source.name, func.count())
        .join(Source, Source.id == Item.source_id)
        .where(Item.story_id.in_(ids))
        .group_by(Item.story_id, Source.name)
        .order_by(Item.story_id, func.count().desc(), Source.name)
    ):
        per_source[story_id].append((name, count))
    recent = dict(
        session.execute(
            select(Item.story_id, func.count())
            .where(Item.story_id.in_(ids), Item.fetched_at >= now - timedelta(hours=24))
            .group_by(Item.story_id)
        ).all()
    )
    # "first seen" for an analyst is when the story first appeared: the earliest
    # publication date of its items where known, else when it was first fetched.
    earliest = dict(
        session.execute(
            select(Item.story_id, func.min(func.coalesce(Item.published_at, Item.fetched_at)))
            .where(Item.story_id.in_(ids))
            .group_by(Item.story_id)
        ).all()
    )
    return {
        story.id: Spread(
            story.id,
            earliest.get(story.id) or story.first_seen_at,
            story.item_count,
            recent.get(story.id, 0),
            per_source[story.id],
        )
        for story in session.scalars(select(Story).where(Story.id.in_(ids)))
    }


@cache
def _permutations() -> object:
    from datasketch import MinHash  # imported on first use: the package is slow to import

    return MinHash(num_perm=NUM_PERM, seed=1, scheme=_SCHEME).permutations


def _minhash() -> object:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1, permutations=_permutations(), scheme=_SCHEME)
