"""SQLAlchemy 2.x typed models.

All timestamps are stored as naive UTC ``datetime`` values: SQLite has no time zone type, and
one convention on both databases keeps comparisons simple. Conversion to Asia/Ho_Chi_Minh
happens only where analysts read them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.clock import utcnow  # the convention; many modules import it from here


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A configured source and its fetch state; rows are synced from config.yaml by name."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    trust: Mapped[str] = mapped_column(String(30), default="press")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_fetched_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class Item(Base):
    """One collected document. ``canonical_url`` identifies it across fetches."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    url: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # hash of the title and text as the feed or listing delivered them (before full text)
    source_hash: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")

    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(Text)
    # tip line only: the mailbox address to answer, and nothing else about the sender
    reply_to: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    # failed acknowledgements so far, and the last reason; retried a bounded number of times
    ack_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ack_error: Mapped[str | None] = mapped_column(Text)

    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)

    fetched_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    purged: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_fulltext: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", name="fk_items_story_id"), index=True
    )

    source: Mapped[Source] = relationship()
    analysis: Mapped[Analysis | None] = relationship(back_populates="item", uselist=False)
    alert: Mapped[Alert | None] = relationship(back_populates="item", uselist=False)


class Analysis(Base):
    """The latest analysis of an item; redone when the rule set or the content changes."""

    __tablename__ = "analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), unique=True)
    ruleset_version: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    localities: Mapped[list[Any]] = mapped_column(default=list)
    matches: Mapped[list[Any]] = mapped_column(default=list)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # the score, contribution by contribution (nlp.analyzer.explain); None before 0009
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the source's trust when analyzed: a trust change makes the item due again
    trust: Mapped[str | None] = mapped_column(String(20))
    # the learned second opinion (nlp/learned.py): p(needs the office's answer), and the
    # model version that gave it; None before a model exists
    learned_probability: Mapped[float | None] = mapped_column(Float)
    learned_version: Mapped[str | None] = mapped_column(String(64))
    analyzed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    item: Mapped[Item] = relationship(back_populates="analysis")


class Story(Base):
    """Near-duplicate items across sources: one press release republished, one rumour
    reposted. ``signature`` is the MinHash of the item that started it."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature: Mapped[list[Any]] = mapped_column(default=list)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    item_count: Mapped[int] = mapped_column(Integer, default=0)


class StoryBand(Base):
    """LSH band keys of a story's items: a new item finds candidate stories by its keys,
    without comparing it with every stored item."""

    __tablename__ = "story_bands"
    __table_args__ = (UniqueConstraint("band_key", "story_id", name="uq_story_band"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    band_key: Mapped[str] = mapped_column(String(40), index=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)


class User(Base):
    """An analyst account for the review pages. Only what logging in needs is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Bumped at logout (and password change): sessions carrying an older value stop working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginFailure(Base):
    """A failed login, kept for the throttle window (per user name and per address)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ServiceJob(Base):
    """The service's scheduled jobs and their next run, for `status` in another process."""

    __tablename__ = "service_jobs"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_outcome: Mapped[str | None] = mapped_column(Text)


class ClusterProcess(Base):
    """A process of a cluster (`run --role`) and its last heartbeat, for `status`; one row
    per host, pid and role, updated in place."""

    __tablename__ = "cluster_processes"
    __table_args__ = (UniqueConstraint("host", "pid", "role", name="uq_cluster_process"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # what the role counts: items stored (crawler), items analysed (worker), jobs (scheduler)
    work_done: Mapped[int] = mapped_column(Integer, default=0)
    leader: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RuleSetRecord(Base):
    """Every rule set analyses were made with, so a change can be compared with the last."""

    __tablename__ = "rulesets"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LearnedModelRecord(Base):
    """Every learned model that was accepted; the highest id is the one in force.

    ``arrays`` is the model as numpy arrays (``numpy.load(allow_pickle=False)``), never a
    pickle: see nlp/learned.py. The figures are the cross-validated ones it was accepted on.
    """

    __tablename__ = "learned_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    verdicts: Mapped[int] = mapped_column(Integer)
    seed_examples: Mapped[int] = mapped_column(Integer)
    positives: Mapped[int] = mapped_column(Integer)
    folds: Mapped[int] = mapped_column(Integer)
    cv_precision: Mapped[float] = mapped_column(Float)
    cv_recall: Mapped[float] = mapped_column(Float)
    cv_f1: Mapped[float] = mapped_column(Float)
    cv_average_precision: Mapped[float] = mapped_column(Float)
    # accepted with --force although worse than the model before it
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    # the nlp revision it was trained with (claim_text may change with it)
    revision: Mapped[str] = mapped_column(String(64))
    arrays: Mapped[bytes] = mapped_column(LargeBinary)

    @property
    def examples(self) -> int:
        return self.verdicts + self.seed_examples


class Alert(Base):
    """One alert per flagged item; the unique item_id makes creation idempotent."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    categories: Mapped[list[Any]] = mapped_column(default=list)
    assignee: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    clarification: Mapped[str | None] = mapped_column(Text)
    clarification_link: Mapped[str | None] = mapped_column(Text)
    # shown in the public clarifications feed only when an analyst marks it for publication
    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # the claim as it stood when published: the public page shows these, never the item,
    # which its source may edit afterwards (cleared when the publication is withdrawn)
    published_title: Mapped[str | None] = mapped_column(Text)
    published_text: Mapped[str | None] = mapped_column(Text)
    published_url: Mapped[str | None] = mapped_column(Text)

    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    item: Mapped[Item] = relationship(back_populates="alert")
    events: Mapped[list[AlertEvent]] = relationship(
        back_populates="alert", order_by="AlertEvent.id"
    )


class AlertLocality(Base):
    """A watched locality an alert concerns (its ``key`` in config.yaml): routes digests
    and limits who sees the alert. Unique per alert and key, so recording it twice is a
    no-op."""

    __tablename__ = "alert_localities"
    __table_args__ = (UniqueConstraint("alert_id", "locality_key", name="uq_alert_locality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    locality_key: Mapped[str] = mapped_column(String(40), index=True)


class UserLocality(Base):
    """A locality a review-pages account is limited to; an account without any sees all."""

    __tablename__ = "user_localities"
    __table_args__ = (UniqueConstraint("user_id", "locality_key", name="uq_user_locality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    locality_key: Mapped[str] = mapped_column(String(40))


class DigestDelivery(Base):
    """One message of a digest period when localities have their own analysts: the
    period's alerts of some localities, to their analysts. Unique per digest and audience,
    so a retried period sends only the messages that failed, never one twice."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("digest_id", "audience", name="uq_digest_audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id"), index=True)
    # "*" for every locality, else the sorted keys joined by ","
    audience: Mapped[str] = mapped_column(String(500))
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    message_id: Mapped[str | None] = mapped_column(String(300))
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    location: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class AlertEvent(Base):
    """Audit trail: every status change of an alert, never updated or deleted."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="events")


class Digest(Base):
    """A digest period. ``period_start`` is unique so a period is never sent twice."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("period_start", name="uq_digests_period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[datetime] = mapped_column(DateTime)
    period_end: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    message_id: Mapped[str | None] = mapped_column(String(300))
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    location: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class Run(Base):
    """One execution of a pipeline stage (collect, analyze, ...)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)

    source_stats: Mapped[list[RunSourceStat]] = relationship(back_populates="run")


class RunSourceStat(Base):
    """Per-source counters of one collection run."""

    __tablename__ = "run_source_stats"
    __table_args__ = (
        UniqueConstraint("run_id", "source_id", name="uq_run_source"),
        Index("ix_run_source_stats_source", "source_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    new_items: Mapped[int] = mapped_column(Integer, default=0)
    updated_items: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    article_errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    api_units: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    error_reasons: Mapped[list[Any]] = mapped_column(default=list)
    # beyond the caps: {"entries": n, "links": n, "truncated": n}
    overflow: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sql_text("'{}'"))

    run: Mapped[Run] = relationship(back_populates="source_stats")


class PressNote(Base):
    """Official information the office marks for the press: a short note on a verdict
    (``alert_id``) or on its own. ``created_by`` is the audit trail's; no bulletin shows it."""

    __tablename__ = "press_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    # the locality it concerns; None: the installation's one locality
    locality: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)

    alert: Mapped[Alert | None] = relationship()


class PressBulletin(Base):
    """A press bulletin period, its content frozen when the period was closed (every
    contact gets the same text, retries included). ``period_start`` is unique."""

    __tablename__ = "press_bulletins"
    __table_args__ = (UniqueConstraint("period_start", name="uq_press_bulletins_period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[datetime] = mapped_column(DateTime)
    period_end: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open, done, empty
    entry_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    subject: Mapped[str] = mapped_column(Text, default="", server_default="")
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    html: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    deliveries: Mapped[list[PressDelivery]] = relationship(
        back_populates="bulletin", order_by="PressDelivery.id"
    )


class PressDelivery(Base):
    """One bulletin to one contact: unique per (bulletin, email), so a contact gets a period
    once. States as for digests: pending, sending, sent, failed, uncertain, rejected."""

    __tablename__ = "press_deliveries"
    __table_args__ = (UniqueConstraint("bulletin_id", "email", name="uq_press_delivery_contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("press_bulletins.id"))
    email: Mapped[str] = mapped_column(String(320))
    newsroom: Mapped[str] = mapped_column(Text, default="", server_default="")
    message_id: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    bulletin: Mapped[PressBulletin] = relationship(back_populates="deliveries")


class Report(Base):
    """A generated report, kept in the database so the review pages can offer it wherever
    they run (another machine than the service's, on PostgreSQL)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_label: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[datetime] = mapped_column(DateTime)
    period_end: Mapped[datetime] = mapped_column(DateTime)
    locality: Mapped[str | None] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ClaimMatch(Base):
    """An item that repeats (or denies) a claim the office has a verdict on, or that a
    reference source published: one row per item, written with its analysis.

    ``verdict`` is the earlier claim's verdict when the match was made (``verified_false``
    for a reference source's claim); ``effect`` is what the match did to the analysis
    (flag, lower, none). The earlier verdict may change later; pages show both.
    """

    __tablename__ = "claim_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), unique=True)
    matched_item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    matched_alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    similarity: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(20))  # repost | denial
    verdict: Mapped[str] = mapped_column(String(20))
    reference: Mapped[bool] = mapped_column(Boolean, default=False)
    effect: Mapped[str] = mapped_column(String(20), default="none")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    item: Mapped[Item] = relationship(foreign_keys=[item_id])
    matched_item: Mapped[Item] = relationship(foreign_keys=[matched_item_id])
    matched_alert: Mapped[Alert | None] = relationship(foreign_keys=[matched_alert_id])
