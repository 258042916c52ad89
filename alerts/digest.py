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

With analysts per locality (``audiences``, see alerts/routing.py) a period is one message
per audience, each holding the period's alerts of its localities, grouped by locality. Each
message has its own record (storage/deliveries.py) going through the same states; the
period is failed while a message must be retried, and a retry sends only those messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.delivery import (
    Delivered,
    SmtpOptions,
    build_message,
    deliver,
    new_message_id,
    record,
)
from alerts.periods import is_due, open_digest, start_period
from alerts.recurring import LinkView, link_views, returning_first
from alerts.render import (
    DigestEntry,
    DigestSection,
    DigestStory,
    DigestView,
    marked,
    render,
    snippet,
    subject,
)
from alerts.routing import Audience
from alerts.stories import Spread, spread
from alerts.views import alerts_with_items
from storage.db import Database
from storage.deliveries import (
    finish_delivery,
    open_delivery,
    period_outcome,
    settle_interrupted_deliveries,
)
from storage.localities import alert_locality_keys, in_localities
from storage.models import Alert, Digest, utcnow
from storage.status import failing_sources, held_back_alerts

INTERRUPTED = "interrupted during SMTP delivery; not resent to avoid a duplicate"
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
    # one message per audience when localities have analysts of their own (alerts.routing);
    # empty: one message with every alert to ``recipients``
    audiences: tuple[Audience, ...] = ()
    locality_names: tuple[tuple[str, str], ...] = ()  # (key, name): section headings

    def everyone(self) -> list[str]:
        """Every address this digest goes to, for the period's record."""
        if not self.audiences:
            return list(self.recipients)
        return sorted({r for audience in self.audiences for r in audience.recipients})


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
            digest = start_period(session, now, options.everyone())
            if digest is None:
                return DigestOutcome(None, "taken")
        if options.audiences:
            digest_id = digest.id
        else:
            if digest.message_id is None:
                digest.message_id = new_message_id()
            digest_id, message_id = digest.id, digest.message_id
            view = _view(session, digest, options)
    if options.audiences:
        return _run_routed(db, digest_id, options)
    if not view.entries and not options.all_clear:
        return _finish(db, digest_id, "empty", 0)
    text, html = render(view)
    message = build_message(
        subject(view), text, html, options.sender, options.recipients, message_id
    )
    count = len(view.entries) + view.more
    name = f"digest-{digest_id:06d}-{view.period_end:%Y%m%dT%H%M%S}Z.eml"
    # "sending" is recorded before the SMTP conversation: if the process dies during it,
    # the next run finds it and does not send again (see settle_interrupted).
    done = deliver(
        message,
        options.smtp,
        options.recipients,
        options.outbox,
        name,
        lambda: _mark(db, digest_id, "sending"),
    )
    return _finish(db, digest_id, done.state, count, location=done.location, error=done.error)


def _run_routed(db: Database, digest_id: int, options: DigestOptions) -> DigestOutcome:
    """One message per audience of the period, each recorded on its own: a period resumed
    after a failure sends only the messages not delivered yet, never one twice."""
    for audience in options.audiences:
        with db.session() as session:
            delivery = open_delivery(
                session, digest_id, audience.name, list(audience.recipients), new_message_id()
            )
            if delivery is None:
                continue
            delivery_id, message_id = delivery.id, delivery.message_id
            digest = session.get_one(Digest, digest_id)
            view = _view(session, digest, options, audience.keys)
        count = len(view.entries) + view.more
        if not view.entries and not options.all_clear:
            finish_delivery(db, delivery_id, "empty", 0)
            continue
        text, html = render(view)
        recipients = list(audience.recipients)
        message = build_message(subject(view), text, html, options.sender, recipients, message_id)
        label = "all" if audience.keys is None else "+".join(audience.keys)
        name = f"digest-{digest_id:06d}-{label}-{view.period_end:%Y%m%dT%H%M%S}Z.eml"
        done = deliver(
            message,
            options.smtp,
            recipients,
            options.outbox,
            name,
            lambda: finish_delivery(db, delivery_id, "sending", count),  # noqa: B023
        )
        finish_delivery(db, delivery_id, done.state, count, done.location, done.error)
    with db.session() as session:
        state, location, error = period_outcome(session, digest_id)
        count = session.get_one(Digest, digest_id).alert_count
    return _finish(db, digest_id, state, count, location=location, error=error)


def settle_interrupted(session: Session) -> None:
    """A digest left in "sending" was interrupted mid-delivery: the server may have
    accepted it. Sending again could deliver it twice, so it is marked "uncertain" and the
    next digest says so, with its Message-ID, for analysts to check."""
    for digest in session.scalars(select(Digest).where(Digest.state == "sending")):
        digest.state = "uncertain"
        digest.error = INTERRUPTED
    settle_interrupted_deliveries(session, INTERRUPTED)


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


def _view(
    session: Session,
    digest: Digest,
    options: DigestOptions,
    keys: tuple[str, ...] | None = None,
) -> DigestView:
    """The period's alerts (``keys``: only those of these localities), strongest first; with
    several watched localities, grouped by locality too."""
    chosen = select(Alert.id).where(Alert.digest_id == digest.id)
    if keys is not None:
        chosen = chosen.where(in_localities(keys))
    total = session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    query = (
        alerts_with_items()
        .where(Alert.id.in_(chosen))
        .order_by(returning_first(), Alert.score.desc(), Alert.id)
    )
    if options.max_alerts is not None:
        query = query.limit(options.max_alerts)
    alerts = session.scalars(query).all()
    links = link_views(session, [a.item_id for a in alerts])

    spreads = spread(session, [a.item.story_id for a in alerts if a.item.story_id])
    entries = {a.id: _entry(a, options.review_base_url, links.get(a.item_id)) for a in alerts}
    # reposts of claims found false or misleading go on top, outside stories and sections
    returning = [entries[a.id] for a in alerts if _returning(entries[a.id])]
    alerts = [a for a in alerts if not _returning(entries[a.id])]
    sections = []
    if len(options.locality_names) > 1:
        of_alert = alert_locality_keys(session, [a.id for a in alerts])
        for key, name in options.locality_names:
            if keys is not None and key not in keys:
                continue
            here = [a for a in alerts if key in of_alert[a.id]]
            if here:
                sections.append(DigestSection(name, _stories(here, entries, spreads)))
    return DigestView(
        period_start=digest.period_start,
        period_end=digest.period_end,
        stories=_stories(alerts, entries, spreads),
        sections=sections,
        timezone=options.timezone,
        subject_prefix=options.subject_prefix,
        notices=_notices(session, digest, options),
        more=max(0, total - len(alerts)),
        queue_url=f"{options.review_base_url.rstrip('/')}/" if options.review_base_url else None,
        returning=returning,
    )


def _stories(
    alerts: Sequence[Alert], entries: dict[int, DigestEntry], spreads: dict[int, Spread]
) -> list[DigestStory]:
    """Alerts (by score) as stories, so each story's strongest alert comes first."""
    groups: dict[int | str, list[DigestEntry]] = {}
    for alert in alerts:
        key = alert.item.story_id or f"item-{alert.item_id}"
        groups.setdefault(key, []).append(entries[alert.id])
    stories = [
        DigestStory(group, spreads.get(key) if isinstance(key, int) else None)
        for key, group in groups.items()
    ]
    return sorted(stories, key=lambda s: -s.score)


def _returning(entry: DigestEntry) -> bool:
    return entry.link is not None and entry.link.returning


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
        probability=getattr(analysis, "learned_probability", None),
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
        record(session.get_one(Digest, digest_id), Delivered(state, location, error))
    return DigestOutcome(digest_id, state, count, location, error)
