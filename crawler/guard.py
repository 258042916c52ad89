"""The fetch guard: no request to an address inside the office's own network.

A feed can link anywhere, and a site can redirect anywhere; without this, a hostile source
makes the crawler fetch 127.0.0.1, the office's intranet or a cloud metadata service
(169.254.169.254) and store the answer as item text. Every host is resolved first and
refused when any of its addresses is not a global unicast address: loopback, private,
link-local, CGNAT (100.64.0.0/10), multicast, reserved and unspecified addresses, and IPv6
forms of them (IPv4-mapped included). An allow-list of host names and networks lets an
office reach its own intranet bridge (an RSS bridge, a mail-to-feed gateway).

``FetchGuard.check`` is used by `submit` (and its redirects); ``FetchGuardMiddleware`` by
every crawl request, redirects and robots.txt included, since Scrapy sends each redirect
through the downloader middlewares again. The connection resolves the name once more, so a
name whose DNS answer changes between the two lookups (DNS rebinding) is not covered; a
resolver-level check would be (not done).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ForbiddenAddress(IgnoreRequest):
    """The URL's host resolves to an address the guard refuses."""


class FetchGuard:
    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.allowed_hosts: set[str] = set()
        self.allowed_networks: list[Network] = []
        for entry in allow:
            entry = entry.strip().lower()
            try:
                self.allowed_networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.allowed_hosts.add(entry.rstrip("."))

    def check(self, url: str) -> None:
        """Resolve the URL's host (blocking) and refuse it if it is inside."""
        host, port = _host_port(url)
        if host in self.allowed_hosts:
            return
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise ForbiddenAddress(f"fetch guard: cannot resolve {host}: {exc}: {url}") from None
        reason = self.reason(host, [info[4][0] for info in infos])
        if reason:
            raise ForbiddenAddress(f"{reason}: {url}")

    async def reason_async(self, host: str, port: int) -> str | None:
        """Why ``host`` is refused (None: it is not), resolved in the event loop's default
        executor. Not ``loop.getaddrinfo``: uvloop's (the crawl's loop where installed)
        resolves in libuv's pool, which lets two lookups run at once, so two outlets with
        slow DNS held up every other host's first request."""
        if host in self.allowed_hosts:
            return None
        resolve = functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            infos = await asyncio.get_running_loop().run_in_executor(None, resolve)
        except (socket.gaierror, UnicodeError) as exc:
            return f"fetch guard: cannot resolve {host}: {exc}"
        return self.reason(host, [info[4][0] for info in infos])

    def reason(self, host: str, addresses: list[str]) -> str | None:
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if not _public(address) and not any(address in n for n in self.allowed_networks):
                return (
                    f"fetch guard: {host} is an internal address ({address}), not in "
                    "crawler.allow_private_hosts"
                )
        return None


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise ForbiddenAddress(f"fetch guard: no host in {url}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ForbiddenAddress(f"fetch guard: bad port in {url}") from None
    return host, port


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return _public(embedded)
    return address.is_global and not address.is_multicast


class FetchGuardMiddleware:
    """Downloader middleware: every request (redirects and robots.txt included) checked."""

    def __init__(self, guard: FetchGuard) -> None:
        self.guard = guard
        self.verdicts: dict[tuple[str, int], str | None] = {}  # per host and port, per run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchGuardMiddleware:
        return cls(FetchGuard(crawler.settings.getlist("PRESS_MONITOR_ALLOW_PRIVATE_HOSTS")))

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        key = _host_port(request.url)
        if key not in self.verdicts:
            self.verdicts[key] = await self.guard.reason_async(*key)
        reason = self.verdicts[key]
        if reason is not None:
            raise ForbiddenAddress(f"{reason}: {request.url}")


CREDENTIAL_HEADERS = (b"X-Goog-Api-Key", b"Authorization")


class CredentialRedirectMiddleware:
    """Downloader middleware: API keys and tokens never follow a redirect to another host.

    Scrapy drops Authorization on some cross-domain redirects but not custom key headers
    such as YouTube's X-Goog-Api-Key; a compromised or misconfigured API base URL must not
    be able to hand the key on.
    """

    def process_request(self, request: Request, spider: Spider | None = None) -> Any:
        chain = request.meta.get("redirect_urls")
        if not chain:
            return None
        if _origin(chain[0]) != _origin(request.url):
            for name in CREDENTIAL_HEADERS:
                request.headers.pop(name, None)
        return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port
