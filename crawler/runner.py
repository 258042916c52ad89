"""Start a collection run in a subprocess and wait for it.

A subprocess per run because a Twisted reactor cannot be restarted within one process. Each
crawl runs in its own process group, so a timeout or a service shutdown kills the whole
group, and a signal meant for the service (a terminal's Ctrl-C) does not reach it directly.
The running processes are registered so that a service stopping on SIGTERM can ask them to
stop (Scrapy finishes what is in flight on SIGTERM) and, past a deadline, kill them.

The database URL (with its password) goes to the child in its environment, never on its
command line, where `ps` would show it to every user of the machine. ``inherit_fds`` are
file descriptors the child keeps open: the service passes its instance lock, so a crawl
outliving a killed service still holds the lock and no second instance starts beside it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

DATABASE_URL_ENV = "PRESS_MONITOR_DATABASE_URL"

_running: set[subprocess.Popen[str]] = set()
_lock = threading.Lock()


class CollectionError(RuntimeError):
    """The crawler process itself failed (not one source: those are recorded per source)."""


class CrawlStopped(CollectionError):
    """An in-process crawl (crawler/crawl.py) ended by SIGTERM or SIGINT, in-flight work
    finished; the command that ran it should end too."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(
            f"crawl stopped by {signal.Signals(signum).name}; in-flight requests were finished"
        )


def crawl_command(
    run_id: int,
    settings: dict[str, Any],
    sources: Sequence[str] = (),
    spiders: Sequence[str] = (),
) -> list[str]:
    """The crawler's argv: no database URL and no secret in it."""
    return [
        sys.executable,
        "-m",
        "crawler",
        "--run-id",
        str(run_id),
        "--sources",
        ",".join(sources),
        "--settings",
        json.dumps(settings),
        *(["--spiders", ",".join(spiders)] if spiders else []),
    ]


def crawl(
    database_url: str,
    run_id: int,
    settings: dict[str, Any],
    sources: Sequence[str] = (),
    timeout: float | None = None,
    inherit_fds: Sequence[int] = (),
    extra_env: dict[str, str] | None = None,
    spiders: Sequence[str] = (),
) -> None:
    env = {**os.environ, **(extra_env or {}), DATABASE_URL_ENV: database_url}
    process = subprocess.Popen(
        crawl_command(run_id, settings, sources, spiders),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        pass_fds=tuple(inherit_fds),
    )
    with _lock:
        _running.add(process)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        _, stderr = process.communicate()
        raise CollectionError(
            f"crawler exceeded the run timeout of {timeout:g} s; its process group was killed"
        ) from None
    finally:
        with _lock:
            _running.discard(process)
    if process.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise CollectionError(f"crawler exited with {process.returncode}:\n{tail}")


def stop_all(deadline: float) -> bool:
    """Ask running crawls to stop, kill the groups of those still running at ``deadline`` (a
    monotonic time); True when all stopped by themselves."""
    with _lock:
        processes = list(_running)
    for process in processes:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
    clean = True
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(process)
            clean = False
    return clean


def _kill_group(process: subprocess.Popen[str]) -> None:
    _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[str], sig: signal.Signals) -> None:
    """The child leads its own group (start_new_session), so its pid is the group id."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
