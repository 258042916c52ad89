"""One log line per request (waitress does not write an access log of its own).

Path without the query string: searches and login redirects stay out of the logs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("press_monitor.web.access")


class AccessLog:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.monotonic()
        seen: dict[str, str] = {}

        def recording_start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, *args)

        try:
            return self.app(environ, recording_start)
        finally:
            log.info(
                '%s "%s %s" %s %.0f ms',
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD", "-"),
                environ.get("PATH_INFO", "-"),
                seen.get("status", "-"),
                (time.monotonic() - started) * 1000,
            )
