"""Verification workflow on SQLite and PostgreSQL: transitions, audit trail, claims."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alerts.queue import TransitionError, Verdict, change_status, claim
from storage.db import Database
from storage.models import Alert, AlertEvent
from tests.factories import flagged_item


def test_verdict_path_and_audit_trail(db: Database) -> None:
    alert_id = flagged_item(db)
    with db.session() as session:
        claim(session, alert_id, "lan")
    with db.session() as session:
        change_status(
            session,
            alert_id,
            Verdict(
                "verified_false",
                "lan",
                note="Đã xác minh với UBND xã",
                clarification="Không có việc cắt điện.",
                link="https://example.invalid/dinh-chinh",
            ),
        )
    with db.session() as session:
        alert = session.get_one(Alert, alert_id)
        assert alert.status == "verified_false"
        assert alert.assignee == "lan"
        assert alert.clarification == "Không có việc cắt điện."
        events = session.scalars(
            select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
        ).all()
        assert [(e.actor, e.from_status, e.to_status) for e in events] == [
            ("system", None, "new"),
            ("lan", "new", "in_review"),
            ("lan", "in_review", "verified_false"),
        ]
        assert events[-1].note == "Đã xác minh với UBND xã"
    with db.session() as session:
        change_status(session, alert_id, Verdict("in_review", "minh", note="mở lại"))
        assert session.get_one(Alert, alert_id).status == "in_review"


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (None, "new", "can move to"),
        ("dismissed", "verified_true", "can move to in_review"),
        (None, "bogus", "unknown status"),
        (None, "dismissed", None),
    ],
)
def test_invalid_transitions_are_refused(
    db: Database, first: str | None, second: str, message: str | None
) -> None:
    alert_id = flagged_item(db)
    if first:
        with db.session() as session:
            change_status(session, alert_id, Verdict(first, "lan"))
    if message is None:
        with db.session() as session:
            change_status(session, alert_id, Verdict(second, "lan"))
        return
    with pytest.raises(TransitionError, match=message), db.session() as session:
        change_status(session, alert_id, Verdict(second, "lan"))
    with db.session() as session:
        assert len(session.scalars(select(AlertEvent)).all()) == 1 + bool(first)


def test_clarification_only_with_false_or_misleading(db: Database) -> None:
    alert_id = flagged_item(db)
    with pytest.raises(TransitionError, match="clarification"), db.session() as session:
        change_status(session, alert_id, Verdict("verified_true", "lan", clarification="x"))


def test_second_claim_of_the_same_alert_fails(db: Database) -> None:
    alert_id = flagged_item(db)
    with db.session() as session:
        claim(session, alert_id, "lan")
    with pytest.raises(TransitionError), db.session() as session:
        claim(session, alert_id, "minh")
    with db.session() as session:
        assert session.get_one(Alert, alert_id).assignee == "lan"
