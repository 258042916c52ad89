"""The office's figures for a period: what came in, what was flagged, what was decided and
published. The overview page (the last 14 days) and the reports upward (a week, a month)
both call ``figures``, so a page and a report on the same period never disagree.

A period is [start, end) in naive UTC. Days are days in Việt Nam (UTC+7, no daylight
saving), oldest first, each given as a date so pages format it (dd/mm/yyyy) the same way as
every other date. An item counts in the period it was fetched in, an alert in the period it
was created in (with its status now), a clarification in the period it was published in.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session

from alerts.queue import VERDICTS
from alerts.stories import Spread, spread
from storage.db import Database
from storage.localities import in_localities
from storage.models import Alert, AlertEvent, AlertLocality, Item, PressDelivery, Source, utcnow
from storage.status import failing_sources

DAYS = 14
VIETNAM = timedelta(hours=7)
MAIN_STORIES = 5


@dataclass(frozen=True)
class SourceFigures:
    name: str
    kind: str
    items: int
    alerts: int


@dataclass(frozen=True)
class MainStory:
    title: str
    alerts: int
    spread: Spread


@dataclass(frozen=True)
class Clarification:
    alert_id: int
    published_at: datetime
    claim: str
    url: str | None
    status: str
    clarification: str
    link: str | None


@dataclass(frozen=True)
class VerdictTimes:
    """Hours from an alert's creation (the flag) to its first verdict."""

    decided: int
    median_hours: float | None
    mean_hours: float | None


@dataclass
class Figures:
    start: datetime
    end: datetime
    locality: str | None
    series_days: list[date]
    days: list[tuple[date, int, int]]  # newest first: (day, items, alerts)
    sources: list[SourceFigures]
    kinds: list[tuple[str, int, int]]  # (source kind, items, alerts)
    categories: list[tuple[str, int]]
    verdicts: dict[str, int]
    category_verdicts: dict[str, dict[str, int]]
    verdict_times: VerdictTimes
    main_stories: list[MainStory]
    clarifications: list[Clarification]
    bulletins_sent: int
    failing: list[tuple[str, int, str | None]]
    localities: list[tuple[str, int, int]]  # (locality key, alerts, open alerts)
    alerts_by_category: dict[str, list[int]] = field(default_factory=dict)
    items_by_source: dict[str, list[int]] = field(default_factory=dict)

    @property
    def items_total(self) -> int:
        return sum(s.items for s in self.sources)

    @property
    def alerts_total(self) -> int:
        return sum(self.verdicts.values())


def overview(
    db: Database,
    failures: int = 3,
    now: datetime | None = None,
    allowed: Sequence[str] | None = None,
) -> Figures:
    """The overview page's figures: the last 14 days up to now, as the account may see them."""
    now = now or utcnow()
    today = (now + VIETNAM).date()
    start = datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time()) - VIETNAM
    with db.session() as session:
        return figures(session, start, now, failures=failures, now=now, allowed=allowed)


def figures(
    session: Session,
    start: datetime,
    end: datetime,
    locality: str | None = None,
    failures: int = 3,
    now: datetime | None = None,
    allowed: Sequence[str] | None = None,
) -> Figures:
    """Every figure of the period [start, end); ``locality`` names the unit reported on.

    ``allowed`` (locality keys: an account limited to some localities, or a report on one)
    narrows every alert figure, in the queries themselves, to the alerts of those localities;
    collected items are shared by all localities and always count in full.
    """
    now = now or utcnow()
    first, last = _day(start), _day(end - timedelta(microseconds=1))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    visible: ColumnElement[bool] = in_localities(allowed) if allowed is not None else true()
    in_items = (Item.fetched_at >= start) & (Item.fetched_at < end)
    in_alerts = (Alert.created_at >= start) & (Alert.created_at < end) & visible
    item_rows = session.execute(
        select(Item.fetched_at, Source.name)
        .join(Source, Source.id == Item.source_id)
        .where(in_items)
    ).all()
    alert_rows = session.execute(
        select(Alert.id, Alert.created_at, Alert.categories, Alert.status).where(in_alerts)
    ).all()
    alerts_per_source = dict(
        session.execute(
            select(Item.source_id, func.count(Alert.id))
            .join(Item, Item.id == Alert.item_id)
            .where(in_alerts)
            .group_by(Item.source_id)
        ).all()
    )
    items_per_source = dict(
        session.execute(
            select(Item.source_id, func.count(Item.id)).where(in_items).group_by(Item.source_id)
        ).all()
    )
    sources = [
        SourceFigures(s.name, s.kind, items_per_source.get(s.id, 0), alerts_per_source.get(s.id, 0))
        for s in session.scalars(select(Source).order_by(Source.name))
    ]
    kinds: dict[str, list[int]] = {}
    for s in sources:
        kinds.setdefault(s.kind, [0, 0])
        kinds[s.kind][0] += s.items
        kinds[s.kind][1] += s.alerts

    items_by_day = Counter(_day(when) for when, _ in item_rows)
    alerts_by_day = Counter(_day(when) for _, when, _, _ in alert_rows)
    categories: Counter[str] = Counter(c for _, _, cats, _ in alert_rows for c in cats)
    by_category: dict[str, Counter[date]] = {}
    category_verdicts: dict[str, Counter[str]] = {}
    for _, when, cats, status in alert_rows:
        for c in cats:
            by_category.setdefault(c, Counter())[_day(when)] += 1
            category_verdicts.setdefault(c, Counter())[status] += 1
    by_source: dict[str, Counter[date]] = {}
    for when, name in item_rows:
        by_source.setdefault(name, Counter())[_day(when)] += 1
    failing = [
        (f.name, f.consecutive_failures, f.last_error)
        for f in failing_sources(session, failures, now - timedelta(hours=1))
    ]
    return Figures(
        start=start,
        end=end,
        locality=locality,
        series_days=days,
        days=[(d, items_by_day.get(d, 0), alerts_by_day.get(d, 0)) for d in reversed(days)],
        sources=sources,
        kinds=[(kind, n[0], n[1]) for kind, n in sorted(kinds.items())],
        categories=categories.most_common(),
        verdicts=dict(Counter(status for _, _, _, status in alert_rows)),
        category_verdicts={c: dict(n) for c, n in sorted(category_verdicts.items())},
        verdict_times=_verdict_times(session, {a[0]: a[1] for a in alert_rows}),
        main_stories=_main_stories(session, in_alerts, now),
        clarifications=_clarifications(session, start, end, visible),
        bulletins_sent=session.scalar(
            select(func.count(PressDelivery.id)).where(
                PressDelivery.state == "sent",
                PressDelivery.sent_at >= start,
                PressDelivery.sent_at < end,
            )
        )
        or 0,
        failing=failing,
        localities=_by_locality(session, in_alerts, allowed),
        alerts_by_category={c: [n[d] for d in days] for c, n in sorted(by_category.items())},
        items_by_source={s: [n[d] for d in days] for s, n in sorted(by_source.items())},
    )


def _verdict_times(session: Session, created: dict[int, datetime]) -> VerdictTimes:
    if not created:
        return VerdictTimes(0, None, None)
    first_verdict = session.execute(
        select(AlertEvent.alert_id, func.min(AlertEvent.created_at))
        .where(AlertEvent.alert_id.in_(created), AlertEvent.to_status.in_(VERDICTS))
        .group_by(AlertEvent.alert_id)
    ).all()
    hours = [max(0.0, (when - created[a]).total_seconds() / 3600) for a, when in first_verdict]
    if not hours:
        return VerdictTimes(0, None, None)
    return VerdictTimes(len(hours), statistics.median(hours), statistics.fmean(hours))


def _main_stories(session: Session, in_alerts: object, now: datetime) -> list[MainStory]:
    """The stories with the most items among those that carry an alert of the period."""
    rows = session.execute(
        select(Item.story_id, func.count(Alert.id), func.max(Alert.score))
        .join(Item, Item.id == Alert.item_id)
        .where(in_alerts, Item.story_id.is_not(None))
        .group_by(Item.story_id)
    ).all()
    alerts = {story_id: count for story_id, count, _ in rows}
    spreads = spread(session, list(alerts), now)
    top = sorted(spreads.values(), key=lambda s: (-s.items, -alerts[s.story_id], s.story_id))
    titles = dict(
        session.execute(
            select(Item.story_id, func.min(Item.title))
            .join(Alert, Alert.item_id == Item.id)
            .where(Item.story_id.in_([s.story_id for s in top[:MAIN_STORIES]]))
            .group_by(Item.story_id)
        ).all()
    )
    return [
        MainStory(titles.get(s.story_id, ""), alerts[s.story_id], s) for s in top[:MAIN_STORIES]
    ]


def _clarifications(
    session: Session, start: datetime, end: datetime, visible: ColumnElement[bool]
) -> list[Clarification]:
    """Clarifications published in the period and still published, the claim as frozen."""
    return [
        Clarification(
            a.id,
            a.published_at,
            a.published_title or "",
            a.published_url,
            a.status,
            a.clarification or "",
            a.clarification_link,
        )
        for a in session.scalars(
            select(Alert)
            .where(Alert.published_at >= start, Alert.published_at < end, visible)
            .order_by(Alert.published_at, Alert.id)
        )
        if a.published_at is not None
    ]


def _by_locality(
    session: Session, in_alerts: ColumnElement[bool], allowed: Sequence[str] | None
) -> list[tuple[str, int, int]]:
    """(locality key, alerts, open alerts) of the period for each locality with alerts."""
    is_open = case((Alert.status.in_(("new", "in_review")), 1), else_=0)
    query = (
        select(AlertLocality.locality_key, func.count(), func.coalesce(func.sum(is_open), 0))
        .join(Alert, Alert.id == AlertLocality.alert_id)
        .where(in_alerts)
        .group_by(AlertLocality.locality_key)
        .order_by(AlertLocality.locality_key)
    )
    if allowed is not None:
        query = query.where(AlertLocality.locality_key.in_(list(allowed)))
    return [(key, int(total), int(open_)) for key, total, open_ in session.execute(query)]


def _day(when: datetime) -> date:
    return (when + VIETNAM).date()
