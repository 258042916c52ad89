"""Cron expressions of config.yaml, checked by APScheduler once per installation.

Every command validates the whole config, and APScheduler's cron fields import asyncio (and
with it ssl, sockets and subprocesses) through apscheduler.util: about 20 ms of every
start-up, a tenth of what `status` is allowed. An expression APScheduler accepted is kept in
a JSON file in the cache directory (nlp/disk_cache.py), keyed by APScheduler's cron modules
as installed (path, size, time) and by alerts/crontab.py, which rewrites what it is given;
a later command finds it there without importing APScheduler. A new or changed expression,
another APScheduler or another crontab.py is checked by APScheduler itself, and what it
refuses is never kept.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path

from nlp.disk_cache import cache_key, default_cache_dir, file_stamp, read_json, write_json

KEPT = 256  # expressions kept per installation: a config has a handful
_CRON_MODULES = ("__init__.py", "fields.py", "expressions.py")
_CRONTAB = Path(__file__).resolve().parents[1] / "alerts" / "crontab.py"
_accepted: dict[Path, list[str]] = {}


def check_cron(expr: str) -> None:
    """Raise ValueError naming what is wrong when APScheduler (through alerts/crontab.py)
    refuses ``expr``."""
    installation = _installation()
    if installation is None:  # no source to key on (an install of compiled files only)
        _check(expr)
        return
    path = default_cache_dir() / f"cron-{installation}.json"
    accepted = _accepted.get(path)
    if accepted is None:
        data = read_json(path, "cron check")
        accepted = [e for e in data if isinstance(e, str)] if isinstance(data, list) else []
        _accepted[path] = accepted
    if expr in accepted:
        return
    _check(expr)
    accepted[:] = [*accepted, expr][-KEPT:]
    write_json(path, accepted, "cron check")


def _check(expr: str) -> None:
    from alerts.crontab import cron_trigger

    try:
        cron_trigger(expr)
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {expr!r}: {exc}") from None


@cache
def _installation() -> str | None:
    """What decides whether an expression passes: APScheduler's cron modules as installed
    and our rewriting of cron's day numbers (None when that source cannot be read: then
    every expression is checked, as a cache only saves time)."""
    try:
        parts: list[object] = [_CRONTAB.read_text(encoding="utf-8")]
    except OSError:
        return None
    spec = find_spec("apscheduler")
    if spec is None or not spec.submodule_search_locations:
        parts.append(None)  # not installed: the check itself says so
    else:
        cron = Path(spec.submodule_search_locations[0]) / "triggers" / "cron"
        for name in _CRON_MODULES:
            parts.append(file_stamp(cron / name) or [name, None])
    return cache_key(parts)
