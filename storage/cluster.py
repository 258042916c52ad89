"""Heartbeats of a cluster's processes: who runs, where, and how much each has done.

Each process updates its own row (host, pid, role) every few seconds; `status` lists those
seen recently. A row is never shared by two processes, so the update needs no lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import ClusterProcess, utcnow


def beat(
    session: Session, role: str, host: str, pid: int, work_done: int, leader: bool = False
) -> None:
    """Record that this process is alive and what it has done so far."""
    now = utcnow()
    updated = session.execute(
        update(ClusterProcess)
        .where(ClusterProcess.host == host, ClusterProcess.pid == pid, ClusterProcess.role == role)
        .values(last_seen=now, work_done=work_done, leader=leader)
    ).rowcount
    if not updated:
        session.add(
            ClusterProcess(
                role=role,
                host=host,
                pid=pid,
                started_at=now,
                last_seen=now,
                work_done=work_done,
                leader=leader,
            )
        )


def leave(session: Session, role: str, host: str, pid: int) -> None:
    """A process stopping cleanly takes its row away."""
    session.execute(
        delete(ClusterProcess).where(
            ClusterProcess.host == host, ClusterProcess.pid == pid, ClusterProcess.role == role
        )
    )


def live_processes(session: Session, silent_for: timedelta) -> list[ClusterProcess]:
    """Processes heard from within ``silent_for``, by role, host and pid."""
    since: datetime = utcnow() - silent_for
    return list(
        session.scalars(
            select(ClusterProcess)
            .where(ClusterProcess.last_seen >= since)
            .order_by(ClusterProcess.role, ClusterProcess.host, ClusterProcess.pid)
        )
    )


def forget_dead(session: Session, silent_for: timedelta) -> int:
    """Rows of processes silent far longer than ``silent_for`` (killed, host gone)."""
    return session.execute(
        delete(ClusterProcess).where(ClusterProcess.last_seen < utcnow() - silent_for)
    ).rowcount
