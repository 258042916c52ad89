"""The alert queue: alerts created once per flagged item, and the verification workflow.

Every status change is one atomic conditional UPDATE (``... WHERE status = :expected``), so
two analysts acting on the same alert at once cannot both succeed; the loser is told the
alert moved on. Every change is written to the audit trail in the same transaction.

Publication follows the verdict: a published clarification is a frozen copy of the claim
(title, text, URL as they stood at publication) beside the office's clarification. Any status
change out of a false or misleading verdict withdraws it in the same conditional UPDATE, with
its own audit entry, for the CLI and the web alike; publishing again takes a new verdict and
a new publication, which freezes the claim anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from storage.localities import mention_keys, record_alert_localities
from storage.models import Alert, AlertEvent, Analysis, Item, utcnow

STATUSES = ("new", "in_review", "verified_true", "verified_false", "misleading", "dismissed")
VERDICTS = ("verified_true", "verified_false", "misleading", "dismissed")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_review", *VERDICTS),
    "in_review": VERDICTS,
    **{verdict: ("in_review",) for verdict in VERDICTS},
}
CLARIFIABLE = ("verified_false", "misleading")
# Notes the system writes into the audit trail (shown translated on the review pages).
FLAGGED, PUBLISHED_NOTE, UNPUBLISHED_NOTE, RELEASED = (
    "flagged by analysis",
    "clarification published",
    "unpublished",
    "released",
)
UNPUBLISHED = {
    "published_at": None,
    "published_title": None,
    "published_text": None,
    "published_url": None,
}
CHANGED_MEANWHILE = "alert {alert_id} was changed by someone else meanwhile; reload and retry"


def by_second_opinion() -> tuple[Any, ...]:
    """The queue's order before its id tie-break: the learned model's probability, highest
    first (alerts it has not scored after those it has), then the rule score, highest first.

    Callers join Analysis on the alert's item. Status is a filter, not a sort key.
    """
    p = Analysis.learned_probability
    return (p.is_(None), p.desc(), Alert.score.desc())


class TransitionError(ValueError):
    """A status change that the workflow does not allow, or that lost a race.

    ``code`` and ``params`` say the same as the (English, for the CLI and logs) message in a
    form the review pages and digests can put into Vietnamese.
    """

    def __init__(self, message: str, code: str = "refused", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str
    actor: str
    note: str | None = None
    clarification: str | None = None
    link: str | None = None


def create_alerts(session: Session, per_source_limit: int | None = None) -> list[int]:
    """An alert for every flagged analysis without one; safe to run any number of times.

    With ``per_source_limit``, one call creates at most that many alerts per source, the
    strongest first: a source that floods (10,000 entries of one scam) cannot bury the
    queue and the digest. The rest stay flagged without an alert, counted by
    ``storage.status.held_back_alerts``, and the next calls take them, strongest first.
    """
    rows = session.execute(
        select(
            Analysis.item_id, Analysis.score, Analysis.matches, Analysis.localities, Item.source_id
        )
        .join(Item, Item.id == Analysis.item_id)
        .outerjoin(Alert, Alert.item_id == Analysis.item_id)
        .where(Analysis.flagged.is_(True), Alert.id.is_(None))
        .order_by(Analysis.score.desc(), Analysis.item_id)
    ).all()
    created = []
    per_source: dict[int, int] = {}
    for item_id, score, matches, localities, source_id in rows:
        if per_source_limit is not None and per_source.get(source_id, 0) >= per_source_limit:
            continue
        per_source[source_id] = per_source.get(source_id, 0) + 1
        categories = sorted({m["category"] for m in matches if m.get("weight", 0) > 0})
        alert = Alert(item_id=item_id, status="new", score=score, categories=categories)
        try:
            with session.begin_nested():
                session.add(alert)
                session.flush()
                session.add(
                    AlertEvent(
                        alert_id=alert.id,
                        actor="system",
                        from_status=None,
                        to_status="new",
                        note=FLAGGED,
                    )
                )
        except IntegrityError:
            continue
        record_alert_localities(session, alert.id, mention_keys(localities))
        created.append(alert.id)
    return created


def change_status(session: Session, alert_id: int, verdict: Verdict) -> Alert:
    """Move an alert to a new status, checking the workflow; raise TransitionError if not."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise TransitionError(f"alert {alert_id} does not exist", "missing", alert_id=alert_id)
    current = alert.status
    if verdict.status not in STATUSES:
        raise TransitionError(
            f"unknown status {verdict.status!r}; use one of: {', '.join(STATUSES)}",
            "unknown_status",
            wanted=verdict.status,
        )
    allowed = TRANSITIONS[current]
    if verdict.status not in allowed:
        raise TransitionError(
            f"alert {alert_id} is {current}; it can move to {', '.join(allowed)}, "
            f"not {verdict.status}",
            "not_allowed",
            alert_id=alert_id,
            current=current,
            allowed=allowed,
            wanted=verdict.status,
        )
    if (verdict.clarification or verdict.link) and verdict.status not in CLARIFIABLE:
        raise TransitionError(
            f"a clarification belongs to a {' or '.join(CLARIFIABLE)} verdict, "
            f"not {verdict.status}",
            "clarification_needs_false",
            wanted=verdict.status,
        )
    values: dict[str, object] = {"status": verdict.status, "updated_at": utcnow()}
    if verdict.note is not None:
        values["note"] = verdict.note
    if verdict.status == "in_review":
        values["assignee"] = verdict.actor
    if verdict.clarification is not None:
        values["clarification"] = verdict.clarification
    if verdict.link is not None:
        values["clarification_link"] = verdict.link
    was_published = alert.published_at is not None
    expected = [Alert.id == alert_id, Alert.status == current]
    if current in CLARIFIABLE and verdict.status not in CLARIFIABLE:
        values.update(UNPUBLISHED)
        # a publication made meanwhile would be withdrawn without its audit entry
        published = Alert.published_at.is_not(None)
        expected.append(published if was_published else ~published)
    _update_if_unchanged(session, alert_id, expected, values)

    session.add(
        AlertEvent(
            alert_id=alert_id,
            actor=verdict.actor,
            from_status=current,
            to_status=verdict.status,
            note=verdict.note,
        )
    )
    if was_published and "published_at" in values:
        session.add(
            AlertEvent(
                alert_id=alert_id,
                actor=verdict.actor,
                from_status=verdict.status,
                to_status=verdict.status,
                note=f"{UNPUBLISHED_NOTE}: the verdict left {current}",
            )
        )
    session.flush()
    session.refresh(alert)
    return alert


def claim(session: Session, alert_id: int, actor: str) -> Alert:
    """Take a new alert into review; exactly one of two concurrent claims succeeds."""
    return change_status(session, alert_id, Verdict("in_review", actor))


def release(session: Session, alert_id: int, actor: str) -> Alert:
    """Give a claimed alert back to the queue (in_review -> new); only its assignee can."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise TransitionError(f"alert {alert_id} does not exist", "missing", alert_id=alert_id)
    if alert.status != "in_review" or alert.assignee != actor:
        raise TransitionError(
            f"alert {alert_id} is not in review by {actor}",
            "not_yours",
            alert_id=alert_id,
            assignee=alert.assignee,
        )
    result = session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status == "in_review", Alert.assignee == actor)
        .values(status="new", assignee=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _changed_meanwhile(alert_id)
    session.add(
        AlertEvent(
            alert_id=alert_id, actor=actor, from_status="in_review", to_status="new", note=RELEASED
        )
    )
    session.flush()
    session.refresh(alert)
    return alert


def _update_if_unchanged(
    session: Session, alert_id: int, expected: list[Any], values: dict[str, Any]
) -> None:
    """One conditional UPDATE: it applies only if the alert is still as this change read it.

    Of two analysts acting at once only one matches; the other is told to reload. On SQLite
    a writer that changed the database since this transaction read it shows as "locked".
    """
    try:
        result = session.execute(
            update(Alert)
            .where(*expected)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    except OperationalError as exc:
        if "locked" not in str(exc).lower():
            raise
        raise _changed_meanwhile(alert_id) from exc
    if result.rowcount != 1:
        raise _changed_meanwhile(alert_id)


def _changed_meanwhile(alert_id: int) -> TransitionError:
    return TransitionError(
        CHANGED_MEANWHILE.format(alert_id=alert_id), "changed_meanwhile", alert_id=alert_id
    )


def claim_next(session: Session, actor: str, count: int = 1) -> list[int]:
    """Take the first new alerts in the queue's order (``by_second_opinion``, then oldest)
    into review; returns their ids.

    On PostgreSQL the candidate rows are locked with ``FOR UPDATE SKIP LOCKED``, so analysts
    claiming at the same moment get different alerts instead of waiting for each other.
    """
    query = (
        select(Alert.id)
        .outerjoin(Analysis, Analysis.item_id == Alert.item_id)
        .where(Alert.status == "new")
        .order_by(*by_second_opinion(), Alert.id)
        .limit(count)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Alert)
    claimed = []
    for alert_id in session.scalars(query).all():
        try:
            with session.begin_nested():
                claim(session, alert_id, actor)
        except TransitionError:
            continue
        claimed.append(alert_id)
    return claimed


def set_published(session: Session, alert_id: int, publish: bool, actor: str) -> Alert:
    """Mark a clarification for the public feed (or take it out); kept in the audit trail."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise TransitionError(f"alert {alert_id} does not exist", "missing", alert_id=alert_id)
    if publish and (alert.status not in CLARIFIABLE or not alert.clarification):
        raise TransitionError(
            "only a false or misleading verdict with a clarification can be published",
            "publish_needs_clarification",
        )
    if publish == (alert.published_at is not None):
        return alert
    if publish:
        item = session.get_one(Item, alert.item_id)
        values: dict[str, object] = {
            "published_at": utcnow(),
            "published_title": item.title,
            "published_text": item.text,
            "published_url": item.url,
        }
        # conditional, like a status change: a verdict changed meanwhile is not published
        condition = (Alert.status == alert.status) & Alert.published_at.is_(None)
    else:
        values, condition = dict(UNPUBLISHED), Alert.published_at.is_not(None)
    _update_if_unchanged(session, alert_id, [Alert.id == alert_id, condition], values)
    session.add(
        AlertEvent(
            alert_id=alert_id,
            actor=actor,
            from_status=alert.status,
            to_status=alert.status,
            note=PUBLISHED_NOTE if publish else UNPUBLISHED_NOTE,
        )
    )
    session.flush()
    session.refresh(alert)
    return alert
