"""JSON files kept between runs, for what every analysing command would otherwise rebuild at
start-up (the gazetteer of the watched places, the parsed rule queries).

They live under $PRESS_MONITOR_CACHE, else $XDG_CACHE_HOME/press-monitor, else
~/.cache/press-monitor: the running user's own directory, never a shared one. A file that
cannot be read or written is rebuilt or skipped, never an error: a cache only saves time.
Files are written to a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    explicit = os.environ.get("PRESS_MONITOR_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "press-monitor"


def file_stamp(path: Path) -> list[object] | None:
    """A file as found on disk (path, size, modification time), for a cache key: another
    release, or the same one reinstalled, gives another stamp. None when it cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return [str(path), stat.st_size, stat.st_mtime_ns]


def cache_key(parts: object) -> str:
    """A file-name-safe digest of what a cached build depends on (JSON-serialisable)."""
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:24]


def read_json(path: Path, what: str) -> Any | None:
    """The file's data; None when it is absent or unreadable (then said in the log)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:  # nested past the parser's depth
        log.warning("%s cache %s unreadable (%s); rebuilding it", what, path, exc)
        return None


def write_json(path: Path, data: Any, what: str) -> None:
    import tempfile  # here: a command that finds its caches filled never writes (4 ms)

    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
        ) as handle:
            temporary = handle.name
            json.dump(data, handle, ensure_ascii=False)
        os.replace(temporary, path)
    except OSError as exc:
        log.info("%s cache %s not written: %s", what, path, exc)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
