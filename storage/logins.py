"""Failed logins (for throttling) and session generations (for server-side logout).

Kept in the database, not in the web process, so a restart or a second process does not
reset the count, and a logout ends the session everywhere the cookie was copied.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import LoginFailure, User


def record_failure(session: Session, username: str, address: str) -> None:
    session.add(LoginFailure(username=username[:200], address=address[:100]))


def failures_since(
    session: Session, username: str, address: str, since: datetime
) -> tuple[int, int]:
    """(failures for this user name, failures from this address) since ``since``."""
    by_user = session.scalar(
        select(func.count()).where(
            LoginFailure.username == username[:200], LoginFailure.created_at >= since
        )
    )
    by_address = session.scalar(
        select(func.count()).where(
            LoginFailure.address == address[:100], LoginFailure.created_at >= since
        )
    )
    return by_user or 0, by_address or 0


def forget_failures(session: Session, username: str, before: datetime | None = None) -> None:
    """After a successful login the user's count starts again; old rows go in any case."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username[:200]))
    if before is not None:
        session.execute(delete(LoginFailure).where(LoginFailure.created_at < before))


def end_sessions(session: Session, user_id: int) -> None:
    """Every session issued before now stops working (logout, password change, disable)."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_generation=User.session_generation + 1)
    )
