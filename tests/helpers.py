"""Helpers for tests: configs written to disk, and running the CLI as users do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Tests serve their fixtures from 127.0.0.1, which the fetch guard refuses unless allowed.
LOCAL_HOSTS = ["127.0.0.1"]


def run_python_json(
    code: str, cache: Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> Any:
    """Run ``code`` in a fresh interpreter with its own disk cache; its last stdout line as
    JSON (what a second command of a user would see of the caches the first one left).
    ``env``: the environment to start from (this process's when None)."""
    env = {**(os.environ if env is None else env), "PRESS_MONITOR_CACHE": str(cache)}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def base_config() -> dict[str, Any]:
    """The shipped config.yaml as a dict, to be adjusted by each test (fixture servers on
    127.0.0.1 allowed)."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data.setdefault("crawler", {})["allow_private_hosts"] = list(LOCAL_HOSTS)
    return data


def local_crawler(config: Any) -> Any:
    """``config.crawler`` with the fixture servers' 127.0.0.1 allowed by the fetch guard."""
    return config.crawler.model_copy(update={"allow_private_hosts": list(LOCAL_HOSTS)})


def write_config(path: Path, **overrides: Any) -> Path:
    data = base_config()
    data.update(overrides)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_cli(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PRESS_MONITOR_CONFIG", None)
    full_env.pop("PRESS_MONITOR_DATABASE_URL", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def missing_source_config(tmp_path: Path, base_url: str) -> Path:
    """A config whose only source answers 404, with its database and outbox in tmp_path."""
    return write_config(
        tmp_path / "config.yaml",
        sources=[{"name": "gone", "kind": "feed", "url": base_url + "/gone.rss"}],
        database_url=f"sqlite:///{tmp_path / 'pm.db'}",
        outbox=str(tmp_path / "outbox"),
    )


def start(config: Path, *args: str) -> subprocess.Popen[str]:
    """The CLI as a background process in its own session (a process group to signal), with
    none of the caller's PRESS_MONITOR_ variables but the tests' shared gazetteer cache."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PRESS_MONITOR_") or k == "PRESS_MONITOR_CACHE"
    }
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


# One RSS item, for a feed that keeps a crawl waiting (HangingFeed).
SLOW_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
    b"<title>Tin ch\xe1\xba\xadm</title><link>http://127.0.0.1/cham/1.html</link>"
    b"<description>Tin ch\xe1\xba\xadm</description></item></channel></rss>"
)


class HangingFeed:
    """A FixtureServer route that answers only once released: a crawl is then known to be
    in flight. ``asked`` is set when a request arrives."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.asked = threading.Event()

    def __call__(self, h: BaseHTTPRequestHandler) -> None:
        self.asked.set()
        self.release.wait(120)
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(SLOW_FEED)))
        h.end_headers()
        h.wfile.write(SLOW_FEED)


def wait_for(condition: Callable[[], Any], timeout: float = 90, every: float = 0.05) -> Any:
    """Poll ``condition`` until it gives a true value (returned) or ``timeout`` seconds
    pass (AssertionError): the tests wait for conditions, never for fixed times."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not reached in time")
