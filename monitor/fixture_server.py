"""A small static HTTP server on 127.0.0.1 with ETag/Last-Modified and conditional GET.

It serves the demo's bundled outlets and the tests' fixtures: real HTTP on a real socket,
so the crawler is exercised exactly as against a news site, without the internet.
"""

from __future__ import annotations

import hashlib
import mimetypes
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Route = Callable[[BaseHTTPRequestHandler], None]
FIXED_MTIME = 1_764_000_000  # Last-Modified of every file: stable across runs and clones
POLL_SECONDS = 0.05

mimetypes.add_type("application/rss+xml", ".rss")
mimetypes.add_type("application/atom+xml", ".atom")


class FixtureServer:
    """Serve ``root`` (and optional custom routes) until stopped; use as a context manager."""

    def __init__(
        self,
        root: Path | None = None,
        routes: dict[str, Route] | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.root = root
        self.routes = routes or {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        handler = _handler_class(self)
        self.httpd = _QuietServer((host, port), handler)

        self.httpd.daemon_threads = True
        # stop() waits for the serving loop to notice; socketserver's default poll interval
        # (0.5 s) made every stop, so every test with a fixture server, half a second longer.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FixtureServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class OutletHandler(BaseHTTPRequestHandler):
    """What generated outlets (the cluster test's, the benchmarks') share: keep-alive, a
    whole response in one call, no access log."""

    protocol_version = "HTTP/1.1"

    def send(self, status: int, body: bytes, ctype: str | None, etag: str | None = None) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def loopback_hosts(handler: type[BaseHTTPRequestHandler], hosts: int) -> Iterator[list[str]]:
    """One threaded server per loopback address from 127.0.0.2 (each its own host for a
    crawler's per-host limits, as real outlets are); yields their base URLs."""
    servers = []
    for n in range(hosts):
        server = _QuietServer((f"127.0.0.{n + 2}", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    try:
        yield [f"http://{s.server_address[0]}:{s.server_address[1]}" for s in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up early (timeouts, cancelled downloads) are normal here. The
    listen backlog is a busy site's, not socketserver's 5: when several crawler processes
    on a loaded machine connect to one outlet at once, a full backlog drops connection
    attempts, and each drop costs the client a second before it tries again."""

    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_class(server: FixtureServer) -> type[BaseHTTPRequestHandler]:

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            server.requests.append((self.path, dict(self.headers.items())))
            route = server.routes.get(path)
            if route is not None:
                route(self)
                return
            self._serve_file(path)

        def _serve_file(self, path: str) -> None:
            file = _resolve(server.root, path)
            if file is None:
                self._send(404, b"not found", "text/plain")
                return
            body = file.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            last_modified = formatdate(FIXED_MTIME, usegmt=True)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype.endswith("xml"):
                ctype += "; charset=utf-8"
            self._send(200, body, ctype, {"ETag": etag, "Last-Modified": last_modified})

        def _send(
            self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def _resolve(root: Path | None, path: str) -> Path | None:
    if root is None:
        return None
    candidate = (root / path.lstrip("/")).resolve()
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if not candidate.is_file() or root.resolve() not in candidate.parents:
        return None
    return candidate


def copy_with_base(
    source: Path,
    target: Path,
    base_url: str,
    suffixes: tuple[str, ...] = (".xml", ".html", ".rss", ".atom"),
) -> None:
    """Copy a fixture tree, replacing ``{base}`` in text files by the server's address."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    for file in target.rglob("*"):
        if file.suffix in suffixes:
            text = file.read_text(encoding="utf-8")
            file.write_text(text.replace("{base}", base_url), encoding="utf-8")
