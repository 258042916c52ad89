"""Verification workflow on SQLite and PostgreSQL: transitions, audit trail, claims."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alerts.queue import TransitionError, Verdict, change_status, claim, claim_next
from storage.db import Database
from storage.models import Alert, AlertEvent
from tests.conftest import drop_pg_schema, pg_schema_url
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


def test_two_concurrent_claims_of_one_alert(db: Database) -> None:
    """Two analysts claim the same alert at the same moment: exactly one gets it."""
    import threading

    alert_id = flagged_item(db)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def analyst(name: str) -> None:
        try:
            with db.session() as session:
                session.get_one(Alert, alert_id)  # both have read "new"
                barrier.wait(timeout=10)
                claim(session, alert_id, name)
            outcomes[name] = "claimed"
        except TransitionError as exc:
            outcomes[name] = str(exc)

    threads = [threading.Thread(target=analyst, args=(n,)) for n in ("lan", "minh")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()).count("claimed") == 1, outcomes
    (loser,) = [v for v in outcomes.values() if v != "claimed"]
    # refused either by the conditional update or because it already reads in_review
    assert "changed by someone else" in loser or "is in_review" in loser

    with db.session() as session:
        alert = session.get_one(Alert, alert_id)
        winner = next(n for n, v in outcomes.items() if v == "claimed")
        assert alert.status == "in_review" and alert.assignee == winner
        events = session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id))
        assert [e.to_status for e in events] == ["new", "in_review"]


def test_claim_next_takes_highest_scores(db: Database) -> None:
    low = flagged_item(db, n=1, score=3.5)
    high = flagged_item(db, n=2, score=9.0)
    with db.session() as session:
        assert claim_next(session, "lan", count=1) == [high]
    with db.session() as session:
        assert claim_next(session, "minh", count=5) == [low]
        assert claim_next(session, "minh", count=5) == []


@pytest.mark.postgres
def test_concurrent_batch_claims_skip_locked_rows(pg_url: str) -> None:
    url, schema = pg_schema_url(pg_url)
    db = Database(url)
    try:
        ids = [flagged_item(db, n=n, score=10 - n) for n in range(3)]
        with db.session() as first:
            taken_first = claim_next(first, "lan", count=2)  # rows locked, not committed
            with db.session() as second:
                taken_second = claim_next(second, "minh", count=2)
        assert taken_first == ids[:2] and taken_second == ids[2:]
    finally:
        db.dispose()
        drop_pg_schema(pg_url, schema)
