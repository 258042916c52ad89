"""The claims new items are matched against, and the matches kept.

A claim is the item of an alert that carries a verdict (verified false, misleading, verified
true, dismissed), or an item of a reference source (``options["reference"]``, e.g. the
provincial police's warnings), whose claims count as verified false with the publisher's
link as the clarification.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.models import Alert, ClaimMatch, Item, Source

VERDICTS = ("verified_true", "verified_false", "misleading", "dismissed")
REFERENCE_VERDICT = "verified_false"


@dataclass(frozen=True, slots=True)
class StoredClaim:
    item_id: int
    alert_id: int | None
    verdict: str
    reference: bool
    title: str
    text: str


def reference_sources(session: Session) -> dict[int, str]:
    """Source id -> reference kind, for the sources config marks as references."""
    rows = session.execute(select(Source.id, Source.options)).all()
    return {sid: options["reference"] for sid, options in rows if (options or {}).get("reference")}


def stored_claims(session: Session, batch_size: int = 2000) -> Iterator[StoredClaim]:
    """Every claim to match against, in batches keyed by id (memory stays flat)."""
    last = 0
    while True:
        rows = session.execute(
            select(Item.id, Alert.id, Alert.status, Item.title, Item.text)
            .join(Alert, Alert.item_id == Item.id)
            .where(Alert.status.in_(VERDICTS), Item.purged.is_(False), Item.id > last)
            .order_by(Item.id)
            .limit(batch_size)
        ).all()
        if not rows:
            break
        for item_id, alert_id, status, title, text in rows:
            yield StoredClaim(item_id, alert_id, status, False, title, text)
        last = rows[-1][0]
    references = list(reference_sources(session))
    if references:
        for item_id, title, text in session.execute(
            select(Item.id, Item.title, Item.text)
            .where(Item.source_id.in_(references), Item.purged.is_(False))
            .order_by(Item.id)
        ):
            yield StoredClaim(item_id, None, REFERENCE_VERDICT, True, title, text)


def recent_texts(session: Session, limit: int) -> list[tuple[str, str]]:
    """(title, text) of the most recently stored items: the stream new items come from."""
    rows = session.execute(
        select(Item.title, Item.text)
        .where(Item.purged.is_(False))
        .order_by(Item.id.desc())
        .limit(limit)
    ).all()
    return [(title, text) for title, text in rows]


@dataclass(frozen=True, slots=True)
class MatchRecord:
    matched_item_id: int
    matched_alert_id: int | None
    similarity: float
    kind: str
    verdict: str
    reference: bool
    effect: str


def save_match(session: Session, item_id: int, match: MatchRecord | None) -> None:
    """The item's match as its latest analysis found it (none: any earlier one goes)."""
    row = session.scalar(select(ClaimMatch).where(ClaimMatch.item_id == item_id))
    if match is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = ClaimMatch(item_id=item_id)
        session.add(row)
    row.matched_item_id = match.matched_item_id
    row.matched_alert_id = match.matched_alert_id
    row.similarity = match.similarity
    row.kind = match.kind
    row.verdict = match.verdict
    row.reference = match.reference
    row.effect = match.effect


def matches_for(session: Session, item_ids: Iterable[int]) -> dict[int, ClaimMatch]:
    """Item id -> its match, with the earlier item and alert loaded."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(ClaimMatch)
        .where(ClaimMatch.item_id.in_(ids))
        .options(
            selectinload(ClaimMatch.matched_item).selectinload(Item.source),
            selectinload(ClaimMatch.matched_alert),
        )
    )
    return {row.item_id: row for row in rows}


def reposts_of(session: Session, alert_ids: Iterable[int]) -> dict[int, list[Item]]:
    """Earlier alert id -> the items that repeated its claim, oldest first."""
    ids = list(alert_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(ClaimMatch.matched_alert_id, Item)
        .join(Item, Item.id == ClaimMatch.item_id)
        .where(ClaimMatch.matched_alert_id.in_(ids), ClaimMatch.kind == "repost")
        .order_by(Item.id)
    ).all()
    found: dict[int, list[Item]] = {}
    for alert_id, item in rows:
        found.setdefault(alert_id, []).append(item)
    return found
