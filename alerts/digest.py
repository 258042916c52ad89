"""The digest job: when due, gather the period's alerts, render, deliver, record.

States of a digest row: pending (created, not delivered yet) -> sending (handed to SMTP)
-> sent; or empty (nothing to say, no all-clear asked); failed (delivery error, retried on
the next run). The Message-ID is stored before sending, so a retry is recognisably the same
message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from alerts.delivery import (
    DeliveryError,
    SmtpOptions,
    build_message,
    new_message_id,
    send_smtp,
    write_outbox,
)
from alerts.periods import is_due, open_digest, start_period
from alerts.render import DigestEntry, DigestView, render, snippet, subject
from storage.db import Database
from storage.models import Alert, Digest, Item, utcnow


@dataclass(frozen=True)
class DigestOptions:
    schedule: str = "0 7 * * *"
    timezone: str = "Asia/Ho_Chi_Minh"
    all_clear: bool = False
    subject_prefix: str = "[press-monitor]"
    recipients: list[str] = field(default_factory=list)
    outbox: Path = Path("data/outbox")
    sender: str = "press-monitor@localhost"
    smtp: SmtpOptions | None = None


@dataclass(frozen=True)
class DigestOutcome:
    digest_id: int | None
    state: str
    alert_count: int = 0
    location: str | None = None
    error: str | None = None


def run_digest(
    db: Database, options: DigestOptions, now: datetime | None = None, force: bool = False
) -> DigestOutcome:
    """Send the due digest, if any. ``force`` sends a period now whatever the schedule."""
    now = now or utcnow()
    with db.session() as session:
        digest = open_digest(session)
        if digest is None:
            if not force and not is_due(session, options.schedule, options.timezone, now):
                return DigestOutcome(None, "not_due")
            digest = start_period(session, now, options.recipients)
            if digest is None:
                return DigestOutcome(None, "taken")
        digest_id = digest.id
        if digest.message_id is None:
            digest.message_id = new_message_id()
        view = _view(session, digest, options)
        message_id = digest.message_id
    if not view.entries and not options.all_clear:
        return _finish(db, digest_id, "empty", 0)
    text, html = render(view)
    message = build_message(
        subject(view), text, html, options.sender, options.recipients, message_id
    )
    try:
        if options.smtp is None:
            name = f"digest-{digest_id:06d}-{view.period_end:%Y%m%dT%H%M%S}Z.eml"
            location = str(write_outbox(message, options.outbox, name))
        else:
            _mark(db, digest_id, "sending")
            send_smtp(message, options.smtp, options.recipients)
            location = f"smtp://{options.smtp.host}:{options.smtp.port}"
    except (DeliveryError, OSError) as exc:
        return _finish(db, digest_id, "failed", len(view.entries), error=str(exc))
    return _finish(db, digest_id, "sent", len(view.entries), location=location)


def _view(session: Session, digest: Digest, options: DigestOptions) -> DigestView:
    alerts = session.scalars(
        select(Alert)
        .where(Alert.digest_id == digest.id)
        .options(
            selectinload(Alert.item).selectinload(Item.source),
            selectinload(Alert.item).selectinload(Item.analysis),
        )
        .order_by(Alert.score.desc(), Alert.id)
    ).all()
    return DigestView(
        period_start=digest.period_start,
        period_end=digest.period_end,
        entries=[_entry(a) for a in alerts],
        timezone=options.timezone,
        subject_prefix=options.subject_prefix,
    )


def _entry(alert: Alert) -> DigestEntry:
    item = alert.item
    analysis = item.analysis
    matches = analysis.matches if analysis else []
    localities = analysis.localities if analysis else []
    text_spans = [(m["start"], m["end"]) for m in matches if m.get("field") == "text"]
    return DigestEntry(
        alert_id=alert.id,
        title=item.title,
        source=item.source.name,
        url=item.url,
        published_at=item.published_at or item.fetched_at,
        score=alert.score,
        categories=list(alert.categories),
        localities=sorted({loc["unit"] for loc in localities}),
        snippet=snippet(item.text, text_spans),
        matched_words=sorted({m["surface"] for m in matches}),
    )


def _mark(db: Database, digest_id: int, state: str) -> None:
    with db.session() as session:
        session.get_one(Digest, digest_id).state = state


def _finish(
    db: Database,
    digest_id: int,
    state: str,
    count: int,
    location: str | None = None,
    error: str | None = None,
) -> DigestOutcome:
    with db.session() as session:
        digest = session.get_one(Digest, digest_id)
        digest.state, digest.error = state, error
        if location:
            digest.location = location
        if state == "sent":
            digest.sent_at = utcnow()
    return DigestOutcome(digest_id, state, count, location, error)
