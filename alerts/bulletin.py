"""The press bulletin: what the office published in a period, sent to each opted-in newsroom.

A period runs from the end of the previous bulletin (or, the first time, from a week
before) to now minus ``SETTLE`` (so a publication being saved at that moment is in this
period or the next, never lost between them); its start is unique in the database, so a
period exists once. Its content is frozen when the period is closed: the clarifications
published in it and still published (the claim as frozen at publication, the office's
conclusion, the link) and the notes marked for the press, grouped by locality. Retries send
the same text.

Each contact gets the period once: one delivery row per (bulletin, email), unique, with its
own Message-ID, in the digest's states (see alerts.digest): pending -> sending (claimed by
a conditional UPDATE, so of two processes at work, the service and `press-monitor
bulletin`, only one sends it) -> sent; or failed (retried on the next run); uncertain
(interrupted or no reply after the content: never resent); rejected (refused for good).
Every message names the unsubscribe address (text and List-Unsubscribe header). Bulletins
never name an analyst: nothing here reads assignees, audit actors or note authors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.delivery import (
    Delivered,
    SmtpOptions,
    build_message,
    deliver,
    new_message_id,
    record,
)
from alerts.labels import STATUS_LABELS
from alerts.local_times import local_date, local_time
from alerts.periods import next_due
from alerts.render import ENV, safe_url
from storage.db import Database
from storage.localities import alert_locality_keys
from storage.models import Alert, PressBulletin, PressDelivery, PressNote, utcnow

FIRST_PERIOD = timedelta(days=7)
SETTLE = timedelta(seconds=30)
OPEN_STATES = ("pending", "failed")


@dataclass(frozen=True)
class Contact:
    newsroom: str
    email: str
    editor: str | None = None


@dataclass(frozen=True)
class BulletinOptions:
    contacts: tuple[Contact, ...] = ()
    unsubscribe: str | None = None
    schedule: str = "0 8 * * mon"
    timezone: str = "Asia/Ho_Chi_Minh"
    subject_prefix: str = "[Thông tin cho báo chí]"
    office: str = "Bộ phận theo dõi thông tin"
    locality: str = ""  # the installation's locality, the key of items without their own
    # locality key -> display name: a clarification is listed under its alert's localities
    locality_names: tuple[tuple[str, str], ...] = ()
    sender: str = "press-monitor@localhost"
    smtp: SmtpOptions | None = None
    outbox: Path = Path("data/outbox")
    public_url: str | None = None  # the public clarifications page, when served


@dataclass(frozen=True)
class Entry:
    """One thing said to the press: a published clarification or a note."""

    locality: str
    when: datetime
    text: str  # the clarification, or the note
    link: str | None = None
    claim: str = ""  # the claim as frozen at publication (clarifications)
    claim_url: str | None = None
    conclusion: str | None = None  # the verdict, in Vietnamese


@dataclass(frozen=True)
class BulletinView:
    start: datetime
    end: datetime
    groups: list[tuple[str, list[Entry]]]  # by locality
    options: BulletinOptions

    @property
    def count(self) -> int:
        return sum(len(entries) for _, entries in self.groups)


@dataclass
class BulletinOutcome:
    bulletin_id: int | None
    state: str  # not_due, empty, sent (this run's deliveries ended), nothing
    entries: int = 0
    deliveries: dict[str, list[str]] = field(default_factory=dict)  # state -> emails
    errors: list[str] = field(default_factory=list)


def group_by_locality(
    entries: list[Entry], key: Callable[[Entry], str] = lambda e: e.locality
) -> list[tuple[str, list[Entry]]]:
    """Entries under their locality, localities in order of name, entries by time."""
    groups: dict[str, list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: e.when):
        groups.setdefault(key(entry), []).append(entry)
    return sorted(groups.items())


def period_entries(
    session: Session,
    start: datetime,
    end: datetime,
    locality: str,
    names: tuple[tuple[str, str], ...] = (),
) -> list[Entry]:
    """What the office said in [start, end): clarifications published then and still
    published, and press notes written then and not withdrawn. Each is listed under the
    localities its alert concerns (``names`` maps their keys), else under ``locality``."""
    published = [
        a
        for a in session.scalars(
            select(Alert).where(Alert.published_at >= start, Alert.published_at < end)
        )
        if a.published_at is not None
    ]
    noted = list(
        session.scalars(
            select(PressNote).where(
                PressNote.created_at >= start,
                PressNote.created_at < end,
                PressNote.withdrawn_at.is_(None),
            )
        )
    )
    keys = alert_locality_keys(
        session, {a.id for a in published} | {n.alert.id for n in noted if n.alert}
    )
    known = dict(names)

    def place(alert_id: int) -> str:
        found = [known[k] for k in keys.get(alert_id, []) if k in known]
        return ", ".join(found) if found else locality

    entries = [
        Entry(
            locality=place(a.id),
            when=a.published_at,
            text=a.clarification or "",
            link=a.clarification_link,
            claim=a.published_title or "",
            claim_url=a.published_url,
            conclusion=STATUS_LABELS.get(a.status, a.status),
        )
        for a in published
    ]
    for note in noted:
        alert = note.alert
        entries.append(
            Entry(
                locality=note.locality or (place(alert.id) if alert else locality),
                when=note.created_at,
                text=note.text,
                link=note.link,
                claim=(alert.published_title or alert.item.title) if alert else "",
                conclusion=STATUS_LABELS.get(alert.status, alert.status) if alert else None,
            )
        )
    return entries


def render_bulletin(view: BulletinView) -> tuple[str, str, str]:
    """(subject, plain text, HTML); HTML autoescaped, links only when http(s)."""
    tz = view.options.timezone
    subject = (
        f"{view.options.subject_prefix} {view.options.office}: thông tin từ "
        f"{local_date(view.start, tz)} đến {local_date(view.end, tz)}"
    )
    context = {
        "view": view,
        "subject": subject,
        "start": local_time(view.start, tz),
        "end": local_time(view.end, tz),
        "when": lambda d: local_time(d, tz),
        "safe_url": safe_url,
        "several": len(view.groups) > 1,
    }
    text = ENV.get_template("bulletin.txt.j2").render(context)
    html = ENV.get_template("bulletin.html.j2").render(context)
    return subject, text, html


def preview(db: Database, options: BulletinOptions, now: datetime | None = None) -> BulletinView:
    """The bulletin a period closed now would carry; changes nothing (``--dry-run``)."""
    now = now or utcnow()
    with db.session() as session:
        start = _next_start(session, now)
        end = max(start, now - SETTLE)
        entries = period_entries(session, start, end, options.locality, options.locality_names)
    return BulletinView(start, end, group_by_locality(entries), options)


def run_bulletin(
    db: Database, options: BulletinOptions, now: datetime | None = None, force: bool = False
) -> BulletinOutcome:
    """Finish deliveries left open, then close the period and send it when due (``force``:
    now, whatever the schedule)."""
    now = now or utcnow()
    outcome = BulletinOutcome(None, "not_due")
    with db.session() as session:
        settled = settle_interrupted(session)
        if settled:
            outcome.deliveries["uncertain"] = settled
        if options.contacts and (force or _is_due(session, options, now)):
            bulletin = _start_period(session, now, options)
            if bulletin is not None:
                outcome.bulletin_id = bulletin.id
                outcome.state, outcome.entries = bulletin.state, bulletin.entry_count
        pending = session.scalars(
            select(PressDelivery.id)
            .where(PressDelivery.state.in_(OPEN_STATES))
            .order_by(PressDelivery.id)
        ).all()
    for delivery_id in pending:
        delivered = _deliver(db, options, delivery_id)
        if delivered is None:
            continue
        email, done = delivered
        outcome.deliveries.setdefault(done.state, []).append(email)
        if done.error:
            outcome.errors.append(f"{email}: {done.error}")
    if pending and outcome.state == "not_due":
        outcome.state = "retried"
    _close_finished(db)
    return outcome


def settle_interrupted(session: Session) -> list[str]:
    """A delivery left in "sending" was interrupted mid-conversation: the newsroom may have
    it. It is marked uncertain and never sent again (the review pages show it); returns the
    contacts concerned."""
    settled = []
    for delivery in session.scalars(select(PressDelivery).where(PressDelivery.state == "sending")):
        delivery.state = "uncertain"
        delivery.error = "interrupted during SMTP delivery; not resent to avoid a duplicate"
        settled.append(delivery.email)
    return settled


def _next_start(session: Session, now: datetime) -> datetime:
    last = session.scalar(select(func.max(PressBulletin.period_end)))
    return last or now - FIRST_PERIOD


def _is_due(session: Session, options: BulletinOptions, now: datetime) -> bool:
    last = session.scalar(select(func.max(PressBulletin.period_end)))
    return last is None or next_due(options.schedule, options.timezone, last) <= now


def _start_period(
    session: Session, now: datetime, options: BulletinOptions
) -> PressBulletin | None:
    """Close the period up to now: freeze its content and one delivery per contact. None
    when another process closed it first or no time has passed since the last one."""
    start = _next_start(session, now)
    end = now - SETTLE
    if end <= start:
        return None
    view = BulletinView(
        start,
        end,
        group_by_locality(
            period_entries(session, start, end, options.locality, options.locality_names)
        ),
        options,
    )
    subject, text, html = render_bulletin(view)
    bulletin = PressBulletin(
        period_start=start,
        period_end=end,
        state="open" if view.count else "empty",
        entry_count=view.count,
        subject=subject,
        text=text,
        html=html,
    )
    try:
        with session.begin_nested():
            session.add(bulletin)
            session.flush()
    except IntegrityError:
        return None
    if view.count:
        for contact in options.contacts:
            session.add(
                PressDelivery(
                    bulletin_id=bulletin.id,
                    email=contact.email,
                    newsroom=contact.newsroom,
                    message_id=new_message_id(),
                    state="pending",
                )
            )
        session.flush()
    return bulletin


def message_for(
    bulletin: PressBulletin, delivery: PressDelivery, options: BulletinOptions
) -> EmailMessage:
    """The bulletin as one newsroom gets it: addressed to it alone (newsrooms never see each
    other's addresses), its own Message-ID, the unsubscribe address in a header too."""
    message = build_message(
        bulletin.subject,
        bulletin.text,
        bulletin.html,
        options.sender,
        [delivery.email],
        delivery.message_id,
    )
    del message["To"]
    message["To"] = Address(display_name=delivery.newsroom, addr_spec=delivery.email)
    if options.unsubscribe:
        message["List-Unsubscribe"] = f"<mailto:{options.unsubscribe}?subject=unsubscribe>"
    return message


def _deliver(
    db: Database, options: BulletinOptions, delivery_id: int
) -> tuple[str, Delivered] | None:
    """Claim the delivery (a conditional UPDATE to "sending": of two processes sending at
    once, one gets it) and deliver it; None when another process claimed it first."""
    with db.session() as session:
        claimed = session.execute(
            update(PressDelivery)
            .where(PressDelivery.id == delivery_id, PressDelivery.state.in_(OPEN_STATES))
            .values(state="sending", attempts=PressDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return None
        delivery = session.get_one(PressDelivery, delivery_id)
        message = message_for(delivery.bulletin, delivery, options)
        email, bulletin_id = delivery.email, delivery.bulletin_id
    name = f"bulletin-{bulletin_id:06d}-{delivery_id:06d}.eml"
    # already "sending": a process that dies from here on leaves it for settle_interrupted
    done = deliver(message, options.smtp, [email], options.outbox, name, lambda: None)
    _set(db, delivery_id, done)
    return email, done


def _set(db: Database, delivery_id: int, done: Delivered) -> None:
    with db.session() as session:
        record(session.get_one(PressDelivery, delivery_id), done)


def _close_finished(db: Database) -> None:
    """A bulletin whose deliveries all ended (sent, uncertain, rejected) is done."""
    with db.session() as session:
        for bulletin in session.scalars(select(PressBulletin).where(PressBulletin.state == "open")):
            if all(d.state not in (*OPEN_STATES, "sending") for d in bulletin.deliveries):
                bulletin.state = "done"
