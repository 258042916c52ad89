"""Which watched localities an alert concerns, and which an account is limited to.

Both are rows with a unique key, so recording a locality twice is a no-op and two processes
recording the same one cannot make a duplicate. An account with no locality rows is
provincial: it sees every alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Alert, AlertLocality, UserLocality

# The key of the single `locality:` section, and of the alerts made before there were several.
SINGLE_LOCALITY_KEY = "default"


def mention_keys(localities: list[dict[str, Any]]) -> list[str]:
    """The locality keys of an analysis' mentions (recorded ones from before several
    localities carry none: they belong to the single one)."""
    return sorted({k for m in localities for k in m.get("locality_keys", [SINGLE_LOCALITY_KEY])})


def record_alert_localities(session: Session, alert_id: int, keys: Iterable[str]) -> None:
    """Add the keys the alert does not have yet (an alert never leaves a locality: once
    routed to a commune, it stays in that commune's queue)."""
    have = set(
        session.scalars(
            select(AlertLocality.locality_key).where(AlertLocality.alert_id == alert_id)
        )
    )
    for key in sorted(set(keys) - have):
        try:
            with session.begin_nested():
                session.add(AlertLocality(alert_id=alert_id, locality_key=key))
                session.flush()
        except IntegrityError:
            continue  # another process recorded it meanwhile


def alert_locality_keys(session: Session, alert_ids: Iterable[int]) -> dict[int, list[str]]:
    """The locality keys of each alert, sorted."""
    ids = list(alert_ids)
    keys: dict[int, list[str]] = {alert_id: [] for alert_id in ids}
    if not ids:
        return keys
    for start in range(0, len(ids), 500):  # bounded IN lists on any database
        rows = session.execute(
            select(AlertLocality.alert_id, AlertLocality.locality_key)
            .where(AlertLocality.alert_id.in_(ids[start : start + 500]))
            .order_by(AlertLocality.alert_id, AlertLocality.locality_key)
        )
        for alert_id, key in rows:
            keys[alert_id].append(key)
    return keys


def in_localities(keys: Iterable[str]) -> ColumnElement[bool]:
    """A WHERE clause on Alert: the alert concerns at least one of these localities."""
    return Alert.id.in_(
        select(AlertLocality.alert_id).where(AlertLocality.locality_key.in_(sorted(set(keys))))
    )


def user_locality_keys(session: Session, user_id: int) -> list[str]:
    """The localities an account is limited to; empty for a provincial account."""
    return list(
        session.scalars(
            select(UserLocality.locality_key)
            .where(UserLocality.user_id == user_id)
            .order_by(UserLocality.locality_key)
        )
    )


def set_user_localities(session: Session, user_id: int, keys: Iterable[str]) -> None:
    """Replace the account's limit; no keys makes it provincial."""
    session.execute(delete(UserLocality).where(UserLocality.user_id == user_id))
    for key in sorted(set(keys)):
        session.add(UserLocality(user_id=user_id, locality_key=key))
    session.flush()
