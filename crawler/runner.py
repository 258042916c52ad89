"""Start a collection run in a subprocess and wait for it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any


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
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise CollectionError(f"crawler exited with {result.returncode}:\n{tail}")
