"""Digest periods: when one is due, and claiming the alerts it carries.

A period runs from the end of the previous digest to now. Its start is unique in the
database, so a period exists once; alerts are attached to it by ``digest_id`` in the same
transaction that creates it, so an alert is in exactly one digest.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.crontab import cron_trigger
from storage.models import Alert, Digest

EPOCH = datetime(1970, 1, 1)
OPEN_STATES = ("pending", "failed")


def next_due(schedule: str, timezone: str, after: datetime) -> datetime:
    """The first scheduled time after ``after`` (naive UTC in, naive UTC out)."""
    tz = ZoneInfo(timezone)
    trigger = cron_trigger(schedule, timezone=tz)
    fire = trigger.get_next_fire_time(None, after.replace(tzinfo=UTC).astimezone(tz))
    assert fire is not None
    return fire.astimezone(UTC).replace(tzinfo=None)


def open_digest(session: Session) -> Digest | None:
    """A digest whose delivery has not finished (crash, SMTP down): finish it before a new one."""
    return session.scalar(
        select(Digest).where(Digest.state.in_(OPEN_STATES)).order_by(Digest.id).limit(1)
    )


def last_period_end(session: Session) -> datetime | None:
    return session.scalar(select(Digest.period_end).order_by(Digest.period_end.desc()).limit(1))


def is_due(session: Session, schedule: str, timezone: str, now: datetime) -> bool:
    if open_digest(session) is not None:
        return True
    last = last_period_end(session)
    return last is None or next_due(schedule, timezone, last) <= now


def start_period(session: Session, now: datetime, recipients: list[str]) -> Digest | None:
    """Create the next period up to ``now`` and attach its alerts; None if another process
    created it first."""
    start = last_period_end(session) or EPOCH
    digest = Digest(period_start=start, period_end=now, state="pending", recipients=recipients)
    try:
        with session.begin_nested():
            session.add(digest)
            session.flush()
    except IntegrityError:
        return None
    attached = session.execute(
        update(Alert)
        .where(Alert.digest_id.is_(None), Alert.created_at <= now)
        .values(digest_id=digest.id)
        .execution_options(synchronize_session=False)
    )
    digest.alert_count = attached.rowcount or 0
    return digest
