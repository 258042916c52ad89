"""What the learned second opinion keeps: its versions, the verdicts it learns from, and the
probability it gave each analysed item."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Alert, Analysis, Item, LearnedModelRecord


@dataclass(frozen=True, slots=True)
class Judged:
    """An item an analyst gave a verdict on: its claim's words and the verdict, nothing about
    who published it."""

    title: str
    text: str
    status: str


def judged_items(session: Session, statuses: Sequence[str]) -> list[Judged]:
    """Items whose alert carries one of ``statuses`` (its current verdict), oldest alert
    first; items whose text retention has purged are left out (their words are gone)."""
    rows = session.execute(
        select(Item.title, Item.text, Alert.status)
        .join(Alert, Alert.item_id == Item.id)
        .where(Alert.status.in_(list(statuses)), Item.purged.is_(False))
        .order_by(Alert.id)
    ).all()
    return [Judged(title or "", text or "", status) for title, text, status in rows]


def current_model(session: Session) -> LearnedModelRecord | None:
    """The model in force: the last one accepted."""
    return session.scalar(select(LearnedModelRecord).order_by(LearnedModelRecord.id.desc()))


def save_model(session: Session, **fields: Any) -> LearnedModelRecord:
    """A new version; the same arrays twice (a retraining that changed nothing) keep the
    row they already have, which stays or becomes current by taking a new id."""
    existing = session.scalar(
        select(LearnedModelRecord).where(LearnedModelRecord.version == fields["version"])
    )
    if existing is not None:
        session.delete(existing)
        session.flush()
    record = LearnedModelRecord(**fields)
    session.add(record)
    session.flush()
    return record


def open_alert_items(session: Session, statuses: Sequence[str]) -> list[tuple[int, str, str]]:
    """(item id, title, text) of the alerts still waiting for a verdict."""
    rows = session.execute(
        select(Item.id, Item.title, Item.text)
        .join(Alert, Alert.item_id == Item.id)
        .join(Analysis, Analysis.item_id == Item.id)
        .where(Alert.status.in_(list(statuses)))
        .order_by(Item.id)
    ).all()
    return [(item_id, title or "", text or "") for item_id, title, text in rows]


def set_probabilities(session: Session, version: str, values: dict[int, float]) -> None:
    """The second opinion of ``version`` on these items' analyses."""
    for item_id, probability in values.items():
        session.execute(
            update(Analysis)
            .where(Analysis.item_id == item_id)
            .values(learned_probability=probability, learned_version=version)
        )
