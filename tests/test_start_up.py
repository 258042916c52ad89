"""Start-up of the command line: what a command loads before it does anything.

`status` is run by cron and monitoring every few minutes and must answer at once
(performance issue: at most twice the time of importing its four libraries), so these
tests hold the pieces that keep it light: the collector's thresholds set before the heavy
imports, the database read without the ORM, and the gazetteer read from its cache without
the folding tables.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

from crawler import GC_THRESHOLDS
from tests.helpers import run_python_json, write_config

# Imports the entry module only, then runs `press-monitor --config PATH status` through it
# and reports what was loaded and the collector's thresholds at each point.
_STATUS = """
import gc, json, sys
HEAVY = ("nlp", "underthesea", "lark", "jinja2", "scrapy", "apscheduler")
default = gc.get_threshold()
import monitor.launch
before = {"cli": "monitor.cli" in sys.modules, "sqlalchemy": "sqlalchemy" in sys.modules,
          "thresholds unchanged": gc.get_threshold() == default}
sys.argv = ["press-monitor", "--config", sys.argv[1], "status"]
try:
    monitor.launch.main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print()
print(json.dumps({"before": before, "code": code, "thresholds": gc.get_threshold(),
                  "orm": [m for m in ("sqlalchemy.orm", "storage.models") if m in sys.modules],
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)}))
"""


def test_status_starts_with_the_thresholds_and_without_the_analysis(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config.yaml", database_url=f"sqlite:///{tmp_path / 'status.db'}"
    )
    cache = tmp_path / "cache"
    run_python_json(_STATUS, cache, str(config))  # a first command fills the gazetteer cache
    seen = run_python_json(_STATUS, cache, str(config))
    # importing the entry point loads nothing heavy and leaves the collector as it was
    assert seen["before"] == {
        "cli": False,
        "sqlalchemy": False,
        "thresholds unchanged": True,
    }
    assert seen["code"] == 0
    assert seen["thresholds"] == list(GC_THRESHOLDS)
    # the database is read with Core (storage/status.py): neither the ORM nor the models
    assert seen["orm"] == []
    # the configured units are checked against the cached gazetteer and the cron expressions
    # against those APScheduler accepted before: no folding tables, no underthesea, no
    # APScheduler, no rule-language parser, no templates, no crawler
    assert seen["loaded"] == ["nlp", "nlp.disk_cache", "nlp.gazetteer", "nlp.regex_guard"]


def test_the_console_script_is_the_launcher() -> None:
    (script,) = metadata.entry_points(group="console_scripts", name="press-monitor")
    assert script.value == "monitor.launch:main"


def test_the_light_tables_of_status_are_the_models_tables() -> None:
    """storage/status.py describes the columns it reads by name and type; each must be a
    column of the models' table with the same Python type, or status reads nonsense."""
    from storage.models import Base
    from storage.status import DESCRIBED

    for light in DESCRIBED:
        model = Base.metadata.tables[light.name]
        for col in light.columns:
            assert col.name in model.c, f"{light.name}.{col.name} is not in the models"
            assert col.type.python_type is model.c[col.name].type.python_type, (
                f"{light.name}.{col.name}: {col.type!r} against {model.c[col.name].type!r}"
            )


# Runs `press-monitor --config PATH config check` through the launcher and reports whether
# pydantic looked for plugins in the installed packages' metadata (None: it never did).
_PLUGINS = """
import json, sys
import monitor.launch
sys.argv = ["press-monitor", "--config", sys.argv[1], "config", "check"]
try:
    monitor.launch.main()
except SystemExit as exc:
    code = exc.code
from pydantic.plugin import _loader
print()
print(json.dumps({"code": code, "scanned": _loader._plugins is not None}))
"""


def test_commands_skip_the_pydantic_plugin_scan_unless_asked(tmp_path: Path) -> None:
    """Every command validates the config with pydantic, whose first model looks through the
    metadata of every installed package for plugins; press-monitor uses none."""
    config = write_config(tmp_path / "config.yaml", database_url=f"sqlite:///{tmp_path}/p.db")
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    seen = run_python_json(_PLUGINS, tmp_path / "cache", str(config), env=env)
    assert seen == {"code": 0, "scanned": False}
    env["PYDANTIC_DISABLE_PLUGINS"] = ""  # a user who wants plugins
    seen = run_python_json(_PLUGINS, tmp_path / "cache", str(config), env=env)
    assert seen == {"code": 0, "scanned": True}
