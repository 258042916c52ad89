"""Schedules mean what cron means: day 1 is Monday, 0 and 7 Sunday (APScheduler 3 alone
would read 1 as Tuesday)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from alerts.crontab import cron_trigger, cron_weekdays
from alerts.periods import next_due
from monitor import cron_check
from monitor.cron_check import check_cron

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SATURDAY = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)


def next_fire(expr: str) -> datetime:
    fire = cron_trigger(expr, timezone=TZ).get_next_fire_time(None, SATURDAY)
    assert fire is not None
    return fire


@pytest.mark.parametrize(
    ("field", "weekday"),
    [("1", "Monday"), ("mon", "Monday"), ("0", "Sunday"), ("7", "Sunday"), ("5", "Friday")],
)
def test_day_numbers_are_cron_days(field: str, weekday: str) -> None:
    assert next_fire(f"0 8 * * {field}").strftime("%A") == weekday


def test_apscheduler_alone_reads_day_1_as_tuesday() -> None:
    """The reason for cron_trigger: if this ever changes, the rewrite is no longer needed."""
    fire = CronTrigger.from_crontab("0 8 * * 1", timezone=TZ).get_next_fire_time(None, SATURDAY)
    assert fire is not None and fire.strftime("%A") == "Tuesday"


def test_ranges_lists_and_steps() -> None:
    assert cron_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert cron_weekdays("0-2,6") == "sun,mon,tue,sat"
    assert cron_weekdays("*/2") == "sun,tue,thu,sat"
    assert cron_weekdays("1-5/2") == "mon,wed,fri"
    assert cron_weekdays("mon-fri") == "mon-fri"
    assert cron_weekdays("*") == "*"
    fires = [next_fire("30 7 * * 1-5")]
    assert fires[0] == datetime(2026, 11, 30, 7, 30, tzinfo=TZ)  # Monday, not Sunday


@pytest.mark.parametrize("expr", ["0 8 * * 8", "0 8 * * 5-1", "0 8 * *", "0 8 * * 1/0"])
def test_bad_day_fields_are_refused(expr: str) -> None:
    with pytest.raises(ValueError):
        cron_trigger(expr)


def test_digest_periods_use_cron_days() -> None:
    due = next_due("0 1 * * 1", "Asia/Ho_Chi_Minh", datetime(2026, 11, 28, 5, 0))
    assert due == datetime(2026, 11, 29, 18, 0)  # Monday 01:00 in Việt Nam, in naive UTC


# -- the check of config.yaml's expressions, kept per installation (monitor/cron_check.py) --
@pytest.fixture
def cron_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PRESS_MONITOR_CACHE", str(tmp_path))
    monkeypatch.setattr(cron_check, "_accepted", {})
    cron_check._installation.cache_clear()
    yield tmp_path
    cron_check._installation.cache_clear()


def test_an_accepted_expression_is_kept_and_a_refused_one_never(cron_cache: Path) -> None:
    check_cron("0 7 * * 1-5")
    with pytest.raises(ValueError, match=r"invalid cron expression '0 7 \* \* 8'"):
        check_cron("0 7 * * 8")
    [kept] = cron_cache.glob("cron-*.json")
    assert json.loads(kept.read_text(encoding="utf-8")) == ["0 7 * * 1-5"]
    # a later process reads it, and still refuses what APScheduler refuses
    cron_check._accepted.clear()
    check_cron("0 7 * * 1-5")
    with pytest.raises(ValueError, match="wrong number of fields"):
        check_cron("0 7 * *")
    assert json.loads(kept.read_text(encoding="utf-8")) == ["0 7 * * 1-5"]


def test_a_kept_expression_is_not_checked_again(
    cron_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_cron("*/15 * * * *")
    cron_check._accepted.clear()

    def refuse(expr: str) -> None:
        raise ValueError("APScheduler was asked")

    monkeypatch.setattr("alerts.crontab.cron_trigger", refuse)
    check_cron("*/15 * * * *")  # from the file: APScheduler is not asked (nor imported)
    with pytest.raises(ValueError, match="APScheduler was asked"):
        check_cron("*/20 * * * *")


def test_another_crontab_or_a_damaged_file_checks_again(
    cron_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_cron("0 8 * * *")
    [first] = cron_cache.glob("cron-*.json")
    first.write_text("{not json", encoding="utf-8")
    cron_check._accepted.clear()
    check_cron("0 8 * * *")  # checked again, and kept again
    assert json.loads(first.read_text(encoding="utf-8")) == ["0 8 * * *"]
    changed = cron_cache / "crontab.py"
    changed.write_text(cron_check._CRONTAB.read_text(encoding="utf-8") + "\n# changed\n")
    monkeypatch.setattr(cron_check, "_CRONTAB", changed)
    cron_check._installation.cache_clear()
    check_cron("0 8 * * *")
    assert len(list(cron_cache.glob("cron-*.json"))) == 2


def test_without_crontab_s_source_every_expression_is_checked(
    cron_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install of compiled files only has no alerts/crontab.py to key on: no cache then,
    and APScheduler checks every expression, as before the cache."""
    monkeypatch.setattr(cron_check, "_CRONTAB", cron_cache / "absent" / "crontab.py")
    cron_check._installation.cache_clear()
    check_cron("0 7 * * 1")
    with pytest.raises(ValueError, match=r"invalid cron expression '0 7 \* \* 8'"):
        check_cron("0 7 * * 8")
    assert not list(cron_cache.glob("cron-*.json"))
