"""Cron expressions as cron means them, for APScheduler 3.

``CronTrigger.from_crontab`` passes the day-of-week field through unchanged, and APScheduler
numbers days from 0 = Monday, so "0 8 * * 1" (Monday in cron, in every cron manual and in
what ops type) fires on Tuesday. Every schedule of press-monitor goes through ``cron_trigger``,
which rewrites day numbers into day names with cron's meaning (0 and 7 Sunday, 1 Monday)
before APScheduler sees them; names (mon, tue-fri) pass unchanged.
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expr: str, timezone: tzinfo | str | None = None) -> CronTrigger:
    """A trigger for a five-field crontab line; ValueError names what is wrong."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=cron_weekdays(day_of_week),
        timezone=timezone,
    )


def cron_weekdays(field: str) -> str:
    """Cron's day-of-week field with numbers written as day names (ranges and steps over
    numbers expanded, so "0-4" is Sunday to Thursday, not a range APScheduler would refuse)."""
    return ",".join(_part(part) for part in field.split(","))


def _part(part: str) -> str:
    base, _, step_text = part.partition("/")
    if base == "*" and not step_text:
        return part
    numeric = base == "*" or base.replace("-", "").isdigit()
    if not numeric:
        return part  # names (mon, mon-fri) mean the same to cron and to APScheduler
    if not step_text:
        step = 1
    elif step_text.isdigit() and int(step_text) > 0:
        step = int(step_text)
    else:
        raise ValueError(f"day of week {part!r}: bad step")
    if base == "*":
        first, last = 0, 6
    elif "-" in base:
        low, _, high = base.partition("-")
        first, last = int(low), int(high)
    else:
        first = last = int(base)
        if step_text:
            last = 6  # "1/2": from Monday, every second day, as cron reads it
    if not 0 <= first <= 7 or not 0 <= last <= 7 or first > last:
        raise ValueError(f"day of week {part!r}: days are 0-7 (0 and 7 are Sunday)")
    days = dict.fromkeys(_NAMES[n] for n in range(first, last + 1, step))
    return ",".join(days)
