"""Stored UTC times as analysts read them: in the office's time zone, Vietnamese formats.

Apart from the templates (alerts.render) so that commands that only print a time, such as
``status``, do not import Jinja.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def local_time(value: datetime | None, timezone: str) -> str:
    return _local(value, timezone, "%H:%M %d/%m/%Y")


def local_date(value: datetime | None, timezone: str) -> str:
    return _local(value, timezone, "%d/%m/%Y")


def _local(value: datetime | None, timezone: str, form: str) -> str:
    if value is None:
        return "không rõ"
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).strftime(form)
