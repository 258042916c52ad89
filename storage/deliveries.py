"""The messages of a digest period when localities have analysts of their own.

Each (period, audience) is one row with a unique key, created before its message is sent
and moved through the digest states (alerts/digest.py): a period resumed after a failure
finds the messages already delivered and sends only the others.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import DigestDelivery, utcnow

OPEN_STATES = ("pending", "failed")


def open_delivery(
    session: Session, digest_id: int, audience: str, recipients: list[str], message_id: str
) -> DigestDelivery | None:
    """The audience's message of this period, created when new; None when it needs no more
    work (sent, empty, or uncertain or rejected: never resent)."""
    row = _delivery(session, digest_id, audience)
    if row is None:
        try:
            with session.begin_nested():
                row = DigestDelivery(
                    digest_id=digest_id,
                    audience=audience,
                    recipients=recipients,
                    state="pending",
                    message_id=message_id,
                    alert_count=0,
                )
                session.add(row)
                session.flush()
        except IntegrityError:  # another process opened it: take theirs
            row = _delivery(session, digest_id, audience)
    return row if row is not None and row.state in OPEN_STATES else None


def _delivery(session: Session, digest_id: int, audience: str) -> DigestDelivery | None:
    return session.scalar(
        select(DigestDelivery).where(
            DigestDelivery.digest_id == digest_id, DigestDelivery.audience == audience
        )
    )


def finish_delivery(
    db: Database,
    delivery_id: int,
    state: str,
    count: int,
    location: str | None = None,
    error: str | None = None,
) -> None:
    """Record a message's state (its own transaction, committed at once)."""
    with db.session() as session:
        row = session.get_one(DigestDelivery, delivery_id)
        row.state, row.alert_count, row.error = state, count, error
        if location:
            row.location = location
        if state == "sent":
            row.sent_at = utcnow()


def period_outcome(session: Session, digest_id: int) -> tuple[str, str | None, str | None]:
    """The period's state from its messages: failed while one must be retried; sent when one
    went out; else uncertain or rejected when one is; else empty. With the locations and
    the errors, each named by its audience."""
    rows = list(
        session.scalars(
            select(DigestDelivery)
            .where(DigestDelivery.digest_id == digest_id)
            .order_by(DigestDelivery.id)
        )
    )
    states = {row.state for row in rows}
    state = next(
        (s for s in ("failed", "pending", "sent", "uncertain", "rejected") if s in states), "empty"
    )
    if state == "pending":
        state = "failed"
    locations = "; ".join(dict.fromkeys(row.location for row in rows if row.location)) or None
    errors = "; ".join(f"{row.audience}: {row.error}" for row in rows if row.error) or None
    return state, locations, errors


def settle_interrupted_deliveries(session: Session, reason: str) -> None:
    """A message left in "sending" may have reached the server: never resent."""
    for row in session.scalars(select(DigestDelivery).where(DigestDelivery.state == "sending")):
        row.state, row.error = "uncertain", reason
