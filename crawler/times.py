"""Publication times from pages and feeds, to naive UTC.

Pages give ISO 8601 with or without an offset, RFC 822, or Vietnamese "dd/mm/yyyy hh:mm".
A time without an offset is taken as Asia/Ho_Chi_Minh, where these outlets publish.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
_VN = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\D+(\d{1,2})[:h](\d{2}))?")


def parse_time(value: str) -> datetime | None:
    value = value.strip()
    parsed = _iso(value) or _rfc822(value) or _vietnamese(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL)
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _rfc822(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _vietnamese(value: str) -> datetime | None:
    match = _VN.search(value)
    if not match:
        return None
    day, month, year, hour, minute = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None
