"""Where config.yaml is: what every command knows before it loads anything.

Kept apart from monitor/config.py, whose models need pydantic and PyYAML, so that a command
served without validating the config (`analyze-text` with its rules from the cache,
monitor/rule_cache.py) never imports them.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("config.yaml")
CONFIG_ENV = "PRESS_MONITOR_CONFIG"
# environment values that override the config file's (monitor.config.load_config)
DATABASE_URL_ENV = "PRESS_MONITOR_DATABASE_URL"
REDIS_URL_ENV = "PRESS_MONITOR_REDIS_URL"


def resolve_path(path: str | Path | None) -> Path:
    if path:
        return Path(path)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)
