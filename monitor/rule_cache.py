"""The rule set of a config.yaml that passed validation, kept between runs (nlp/disk_cache.py).

`analyze-text` needs the rules and nothing else of the config. Validating config.yaml means
importing pydantic and PyYAML and building the config models: about 0.1 s of the command's
0.25 s start-up, paid again by every caller that starts it for a handful of documents. So
the rules of a config that validated are kept as JSON (`rules-*.json`, one file per config
path), and are used while everything that decided them and the config's validity is what it
was: the config file's bytes (read once, and those very bytes are validated on a miss), the
environment's database and Redis URLs that override it, where the code is installed and its
files (every module of the monitor, nlp and alerts packages: name, size and time), the
shipped rule packs (their content) and underthesea's administrative data. Anything else, a
config never seen or edited since, a cache file unreadable or damaged, goes through
validation as always: a bad config is never kept, so it is refused with the path of its bad
key every time. Rules built while the code changed underneath are not kept either.

Not in the key, on purpose: APScheduler's version and the time-zone database, which decide
whether a schedule or a time zone is valid, not what a rule finds (`config check` and every
command that runs schedules validate them).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from monitor.config_path import DATABASE_URL_ENV, REDIS_URL_ENV
from nlp.disk_cache import cache_key, default_cache_dir, file_stamp, read_json, write_json
from nlp.gazetteer import GazetteerError, admin_data_stamp
from nlp.rules import RuleSet, ruleset_from_dict

log = logging.getLogger(__name__)

RULE_CACHE_VERSION = 3
_ROOT = Path(__file__).resolve().parents[1]
# The code that reads config.yaml into rules and validates it (as found on disk), and the
# shipped rule packs (by their content: they are data, and small).
_CODE = ("monitor", "nlp", "alerts")
_PACKS = _ROOT / "monitor" / "packs"


def cached_ruleset(config_path: Path, build: Callable[[bytes | None], RuleSet]) -> RuleSet:
    """The rules of the config at ``config_path``: from the cache when these very bytes
    validated before under this very code, else from ``build``, given the bytes read here
    (None when the file cannot be read: ``build`` reads it and says why), which validates
    them and exits or raises on a bad config before anything is stored."""
    try:
        content = config_path.read_bytes()
    except OSError:
        return build(None)
    try:
        path, key = cache_file(config_path), _key(content)
    except (OSError, UnicodeError, GazetteerError):  # no working folder, an undecodable
        return build(content)  # path, underthesea missing: no cache, validation as always
    data = read_json(path, "rule set")
    if isinstance(data, dict) and data.get("key") == key:
        rules = _rules(data, path)
        if rules is not None:
            return rules
    rules = build(content)
    if _key(content) == key:  # no code or pack changed while it validated
        stored = asdict(rules)
        write_json(path, {"key": key, "digest": cache_key(stored), "rules": stored}, "rule set")
    return rules


def cache_file(config_path: Path) -> Path:
    """One file per config path: an edited config replaces its rules, never adds to them."""
    return default_cache_dir() / f"rules-{cache_key([str(Path.cwd() / config_path)])}.json"


def _key(content: bytes) -> str:
    """What the rules and the config's validity depend on: the config's bytes, the
    environment's overrides of it (hashed into the key, never stored), where the code is
    installed, the code's files, the packs' content and underthesea's data."""
    overrides = [os.environ.get(name) for name in (DATABASE_URL_ENV, REDIS_URL_ENV)]
    parts: list[Any] = [RULE_CACHE_VERSION, hashlib.sha256(content).hexdigest(), overrides]
    parts += [str(_ROOT), admin_data_stamp(), _packs_digest()]
    parts += [_stamps(_ROOT / package) for package in _CODE]
    return cache_key(parts)


def _stamps(folder: Path) -> list[list[Any]]:
    """The ``file_stamp`` of each source file in ``folder``: an edit, an upgrade or a
    reinstall gives other stamps. One directory scan, no file opened."""
    try:
        with os.scandir(folder) as entries:
            files = sorted(e.path for e in entries if e.name.endswith(".py") and e.is_file())
    except OSError:
        return [[str(folder), None]]
    return [file_stamp(Path(name)) or [name, None] for name in files]


def _packs_digest() -> str:
    """The shipped packs' names and bytes: an edit that keeps a pack's size and time (as
    installs that normalise times give) still changes the key."""
    digest = hashlib.sha256()
    try:
        for pack in sorted(_PACKS.glob("*.yaml")):
            digest.update(pack.name.encode() + b"\0" + pack.read_bytes() + b"\0")
    except OSError:
        digest.update(b"unreadable")
    return digest.hexdigest()


def _rules(data: dict[str, Any], path: Path) -> RuleSet | None:
    """The stored rules, when they are whole: the digest catches a file damaged on disk or
    edited by hand, which is rebuilt, not trusted. (The folder is the user's own, as
    config.yaml is: see nlp/disk_cache.py.)"""
    stored = data.get("rules")
    if not isinstance(stored, dict) or data.get("digest") != cache_key(stored):
        log.warning("rule set cache %s damaged; validating the config again", path)
        return None
    try:
        return ruleset_from_dict(stored)
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("rule set cache %s unreadable (%s); validating the config again", path, exc)
        return None
