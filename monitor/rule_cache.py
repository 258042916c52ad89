"""The rule set of a config.yaml that passed validation, kept between runs (nlp/disk_cache.py).

`analyze-text` needs the rules and nothing else of the config. Validating config.yaml means
importing pydantic and PyYAML and building the config models: about 0.1 s of the command's
0.25 s start-up, paid again by every caller that starts it for a handful of documents. So
the rules of a config that validated are kept as JSON (`rules-*.json`, one file per config
path), and are used while the config file's bytes, the code that reads and validates it
(every module of the monitor and nlp packages, as found on disk), the shipped rule packs and
underthesea's administrative data are what they were. Anything else, a config never seen or
edited since, a cache file unreadable or damaged, goes through validation as always: a bad
config is never kept, so it is refused with the path of its bad key every time.

What is not in the key, on purpose: the environment's database and Redis URLs (they change
no rule; every command that uses them validates them) and APScheduler's version (it decides
whether a schedule is valid, not what a rule finds).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nlp.disk_cache import cache_key, default_cache_dir, read_json, write_json
from nlp.rules import RuleSet, ruleset_from_dict

log = logging.getLogger(__name__)

RULE_CACHE_VERSION = 1
_ROOT = Path(__file__).resolve().parents[1]
_PACKAGES = ("monitor", "monitor/packs", "nlp")  # the code and packs that make the rules


def cached_ruleset(config_path: Path, build: Callable[[], RuleSet]) -> RuleSet:
    """The rules of the config at ``config_path``: from the cache when this very config
    validated before under this very code, else from ``build`` (which validates, and exits
    or raises on a bad config before anything is stored)."""
    key = _key(config_path)
    if key is None:  # the file cannot be read: build() says so, as for any command
        return build()
    path = cache_file(config_path)
    data = read_json(path, "rule set")
    if isinstance(data, dict) and data.get("key") == key:
        rules = _rules(data, path)
        if rules is not None:
            return rules
    rules = build()
    stored = asdict(rules)
    write_json(path, {"key": key, "digest": _digest(stored), "rules": stored}, "rule set")
    return rules


def cache_file(config_path: Path) -> Path:
    """One file per config path: an edited config replaces its rules, never adds to them."""
    return default_cache_dir() / f"rules-{cache_key([str(Path.cwd() / config_path)])}.json"


def _key(config_path: Path) -> str | None:
    try:
        content = config_path.read_bytes()
    except OSError:
        return None
    from nlp.gazetteer import GazetteerError, admin_data_stamp

    try:
        data = admin_data_stamp()
    except GazetteerError:  # underthesea missing: validation says so
        return None
    parts: list[Any] = [RULE_CACHE_VERSION, hashlib.sha256(content).hexdigest(), data]
    for package in _PACKAGES:
        parts.append(_stamps(_ROOT / package))
    return cache_key(parts)


def _stamps(folder: Path) -> list[list[Any]]:
    """Name, size and modification time of each source file and pack in ``folder``: an edit,
    an upgrade or a reinstall gives other stamps. One directory scan, no file opened."""
    try:
        with os.scandir(folder) as entries:
            files = [e for e in entries if e.name.endswith((".py", ".yaml")) and e.is_file()]
            stamps = [[e.name, e.stat().st_size, e.stat().st_mtime_ns] for e in files]
    except OSError:
        return [[str(folder), None]]
    return sorted(stamps)


def _digest(stored: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(stored, sort_keys=True).encode()).hexdigest()


def _rules(data: dict[str, Any], path: Path) -> RuleSet | None:
    """The stored rules, when they are whole: the digest catches a file damaged on disk or
    edited by hand, which is rebuilt, not trusted. (The folder is the user's own, as
    config.yaml is: see nlp/disk_cache.py.)"""
    stored = data.get("rules")
    if not isinstance(stored, dict) or data.get("digest") != _digest(stored):
        log.warning("rule set cache %s damaged; validating the config again", path)
        return None
    try:
        return ruleset_from_dict(stored)
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("rule set cache %s unreadable (%s); validating the config again", path, exc)
        return None
