"""The digest job: when due, gather the period's alerts, render, deliver, record.

States of a digest row: pending (created, not delivered yet) -> sending (handed to SMTP)
-> sent; or empty (nothing to say, no all-clear asked); failed (delivery error, retried on
the next run); uncertain (the server may have it: interrupted or no reply after the
content; never resent); rejected (the server refused this message for good, e.g. 552 too
big; closed, never resent). Uncertain and rejected digests are named in the next digest,
with how many alerts they carried, and `status` reports them until a later digest is sent.
The Message-ID is stored before sending, so a retry is recognisably the same message.

A digest shows at most ``max_alerts`` alerts, the strongest, and says how many more wait in
the queue (with its link when the review pages are served), so a flood cannot make a
message the mail server refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.delivery import (
    DeliveryError,
    DeliveryRejected,
    DeliveryUncertain,
    SmtpOptions,
    build_message,
    new_message_id,
    send_smtp,
    write_outbox,
)
from alerts.periods import is_due, open_digest, start_period
from alerts.recurring import LinkView, link_views, returning_first
from alerts.render import (
    DigestEntry,
    DigestStory,
    DigestView,
    marked,
    render,
    snippet,
    subject,
)
from alerts.stories import spread
from alerts.views import alerts_with_items
from storage.db import Database
from storage.models import Alert, Digest, utcnow
from storage.status import failing_sources, held_back_alerts

FAILING_SOURCE_RUNS = 3
FAILING_FOR = timedelta(days=1)
TITLE_CHARS = 300  # a title or matched word longer than this is cut in the message
MATCHED_WORDS = 20


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
    review_base_url: str | None = None
    max_alerts: int | None = 50  # alerts shown in one message; the rest are counted
    alerts_per_source_per_run: int | None = None  # only to explain held-back alerts


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
        settle_interrupted(session)
        digest = open_digest(session)
        if digest is None:
            if not force and not is_due(session, options.schedule, options.timezone, now):
                return DigestOutcome(None, "not_due")
            digest = start_period(session, now, options.recipients)
            if digest is None:
                return DigestOutcome(None, "taken")
        if digest.message_id is None:
            digest.message_id = new_message_id()
        digest_id, message_id = digest.id, digest.message_id
        view = _view(session, digest, options)
    if not view.entries and not options.all_clear:
        return _finish(db, digest_id, "empty", 0)
    text, html = render(view)
    message = build_message(
        subject(view), text, html, options.sender, options.recipients, message_id
    )
    count = len(view.entries) + view.more
    if options.smtp is None:
        name = f"digest-{digest_id:06d}-{view.period_end:%Y%m%dT%H%M%S}Z.eml"
        try:
            location = str(write_outbox(message, options.outbox, name))
        except OSError as exc:
            return _finish(db, digest_id, "failed", count, error=f"outbox: {exc}")
        return _finish(db, digest_id, "sent", count, location=location)
    # Recorded before the SMTP conversation: if the process dies during it, the next run
    # finds "sending" and does not send again (see settle_interrupted).
    _mark(db, digest_id, "sending")
    try:
        refused = send_smtp(message, options.smtp, options.recipients)
    except DeliveryUncertain as exc:
        return _finish(db, digest_id, "uncertain", count, error=str(exc))
    except DeliveryRejected as exc:
        return _finish(db, digest_id, "rejected", count, error=str(exc))
    except DeliveryError as exc:
        return _finish(db, digest_id, "failed", count, error=str(exc))
    location = f"smtp://{options.smtp.host}:{options.smtp.port}"
    error = (
        "refused: " + "; ".join(f"{r} ({why})" for r, why in refused.items()) if refused else None
    )
    return _finish(db, digest_id, "sent", count, location=location, error=error)


def settle_interrupted(session: Session) -> None:
    """A digest left in "sending" was interrupted mid-delivery: the server may have
    accepted it. Sending again could deliver it twice, so it is marked "uncertain" and the
    next digest says so, with its Message-ID, for analysts to check."""
    for digest in session.scalars(select(Digest).where(Digest.state == "sending")):
        digest.state = "uncertain"
        digest.error = "interrupted during SMTP delivery; not resent to avoid a duplicate"


def _notices(session: Session, digest: Digest, options: DigestOptions) -> list[str]:
    notices = []
    # each problem digest is named once: in the first digest sent after it
    last_sent = (
        select(func.max(Digest.id))
        .where(Digest.state == "sent", Digest.id < digest.id)
        .scalar_subquery()
    )
    for d in session.scalars(
        select(Digest)
        .where(
            Digest.state.in_(("uncertain", "rejected")),
            Digest.id < digest.id,
            Digest.id > func.coalesce(last_sent, 0),
        )
        .order_by(Digest.id)
    ):
        if d.state == "uncertain":
            notices.append(
                f"Bản tin số {d.id} (Message-ID {d.message_id}) bị gián đoạn khi đang gửi và "
                "có thể chưa đến hộp thư; hệ thống không gửi lại để tránh trùng lặp. "
                "Vui lòng kiểm tra."
            )
        else:
            notices.append(
                f"Bản tin số {d.id} bị máy chủ thư từ chối ({d.error}); {d.alert_count} cảnh "
                "báo trong bản tin đó chưa được gửi qua thư và sẽ không được gửi lại. "
                "Vui lòng xem trong hàng đợi cảnh báo."
            )
    limit = options.alerts_per_source_per_run
    cap = f"giới hạn {limit} cảnh báo" if limit else "giới hạn số cảnh báo"
    for name, waiting in held_back_alerts(session).items():
        notices.append(
            f"Nguồn {name}: {waiting} tin bị gắn cờ đang chờ vì vượt {cap} mỗi lượt; "
            "các lượt sau sẽ tạo tiếp, mạnh nhất trước."
        )
    for source in failing_sources(session, FAILING_SOURCE_RUNS, utcnow() - FAILING_FOR):
        notices.append(
            f"Nguồn {source.name} không thu thập được {source.consecutive_failures} lần "
            f"liên tiếp (lỗi gần nhất: {source.last_error})."
        )
    return notices


def _view(session: Session, digest: Digest, options: DigestOptions) -> DigestView:
    query = (
        alerts_with_items()
        .where(Alert.digest_id == digest.id)
        .order_by(returning_first(), Alert.score.desc(), Alert.id)
    )
    if options.max_alerts is not None:
        query = query.limit(options.max_alerts)
    alerts = session.scalars(query).all()
    links = link_views(session, [a.item_id for a in alerts])

    spreads = spread(session, [a.item.story_id for a in alerts if a.item.story_id])
    groups: dict[int | str, list[DigestEntry]] = {}
    returning = []
    for alert in alerts:  # by score, so each story's strongest alert comes first
        entry = _entry(alert, options.review_base_url, links.get(alert.item_id))
        if entry.link is not None and entry.link.returning:
            returning.append(entry)
            continue
        key = alert.item.story_id or f"item-{alert.item_id}"
        groups.setdefault(key, []).append(entry)

    stories = [
        DigestStory(entries, spreads.get(key) if isinstance(key, int) else None)
        for key, entries in groups.items()
    ]
    return DigestView(
        period_start=digest.period_start,
        period_end=digest.period_end,
        stories=sorted(stories, key=lambda s: -s.score),
        timezone=options.timezone,
        subject_prefix=options.subject_prefix,
        notices=_notices(session, digest, options),
        more=max(0, digest.alert_count - len(alerts)),
        queue_url=f"{options.review_base_url.rstrip('/')}/" if options.review_base_url else None,
        returning=returning,
    )


def _entry(alert: Alert, review_base_url: str | None, link: LinkView | None) -> DigestEntry:
    item = alert.item
    analysis = item.analysis
    matches = analysis.matches if analysis else []
    localities = analysis.localities if analysis else []
    text_spans = [(m["start"], m["end"]) for m in matches if m.get("field") == "text"]
    title_spans = [(m["start"], m["end"]) for m in matches if m.get("field") == "title"]
    return DigestEntry(
        alert_id=alert.id,
        title=item.title[:TITLE_CHARS],
        source=item.source.name,
        url=item.url,
        published_at=item.published_at or item.fetched_at,
        score=alert.score,
        categories=list(alert.categories),
        localities=sorted({loc["unit"] for loc in localities}),
        snippet=snippet(item.text, text_spans),
        matched_words=sorted({m["surface"][:TITLE_CHARS] for m in matches})[:MATCHED_WORDS],
        review_url=f"{review_base_url.rstrip('/')}/alerts/{alert.id}" if review_base_url else None,
        title_parts=marked(item.title[:TITLE_CHARS], title_spans),
        explanation=getattr(analysis, "explanation", None),
        link=link,
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
