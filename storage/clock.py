"""The storage convention for time: naive UTC (see storage/models.py), in a module of its
own so that code reading the database without the ORM (`status`) shares it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now, the storage convention."""
    return datetime.now(UTC).replace(tzinfo=None)
