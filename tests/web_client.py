"""A small browser-like HTTP client for tests: cookies, forms, no redirects followed blindly."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import make_server


@dataclass
class Page:
    status: int
    url: str
    body: str
    headers: dict[str, str]

    def csrf(self) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.body)
        assert match, "no CSRF token on the page"
        return match.group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, path: str, headers: dict[str, str] | None = None) -> Page:
        return self._open(urllib.request.Request(self.base + path, headers=headers or {}))

    def post(self, path: str, form: dict[str, str]) -> Page:
        data = urllib.parse.urlencode(form).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def follow(self, page: Page) -> Page:
        assert page.status in (301, 302, 303), page.status
        return self.get(
            urllib.parse.urlsplit(page.headers["Location"]).path
            + (
                "?" + urllib.parse.urlsplit(page.headers["Location"]).query
                if urllib.parse.urlsplit(page.headers["Location"]).query
                else ""
            )
        )

    def login(self, username: str, password: str) -> Page:
        form = self.get("/login")
        return self.post(
            "/login",
            {"csrf_token": form.csrf(), "username": username, "password": password, "next": "/"},
        )

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=30) as response:
                return Page(
                    response.status, response.url, response.read().decode(), dict(response.headers)
                )
        except urllib.error.HTTPError as error:
            return Page(
                error.code,
                request.full_url,
                error.read().decode(errors="replace"),
                dict(error.headers),
            )


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # a short poll interval: shutdown() waits up to one interval (0.5 s by default)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
