"""Start a collection run in a subprocess and wait for it.

A subprocess per run because a Twisted reactor cannot be restarted within one process. The
running processes are registered so that a service stopping on SIGTERM can ask them to stop
(Scrapy finishes what is in flight on SIGTERM) and, past a deadline, kill them.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

_running: set[subprocess.Popen[str]] = set()
_lock = threading.Lock()


class CollectionError(RuntimeError):
    """The crawler process itself failed (not one source: those are recorded per source)."""


def crawl(
    database_url: str,
    run_id: int,
    settings: dict[str, Any],
    sources: Sequence[str] = (),
    timeout: float | None = None,
) -> None:
    command = [
        sys.executable,
        "-m",
        "crawler",
        "--database-url",
        database_url,
        "--run-id",
        str(run_id),
        "--sources",
        ",".join(sources),
        "--settings",
        json.dumps(settings),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with _lock:
        _running.add(process)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
        raise CollectionError(f"crawler took longer than {timeout} s and was killed") from None
    finally:
        with _lock:
            _running.discard(process)
    if process.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise CollectionError(f"crawler exited with {process.returncode}:\n{tail}")


def stop_all(deadline: float) -> bool:
    """Ask running crawls to stop, kill those still running at ``deadline`` (a monotonic
    time); True when all stopped by themselves."""
    with _lock:
        processes = list(_running)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    clean = True
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            clean = False
    return clean
