"""The fetch guard: internal addresses refused after resolution (feeds, article links,
redirects, `submit`), with an allow-list; API credentials never follow a redirect to another
host. Real servers on 127.0.0.1 (allowed, as every test's fixtures) and 127.0.0.2/.3."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from sqlalchemy import select

from crawler.guard import FetchGuard, ForbiddenAddress
from monitor.config import Source, load_config
from monitor.fixture_server import FixtureServer
from monitor.intake import SubmitError, submit
from monitor.pipeline import collect
from storage.db import Database
from storage.models import Item
from tests.helpers import ROOT, local_crawler

SECRET = "MẬT-KHẨU-NỘI-BỘ hạ tầng văn phòng"
PARAGRAPH = "Người dân xã Bờ Y phản ánh về tình hình giao thông sau mùa mưa lũ năm nay. " * 8


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.1.2.3",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[fe80::1]",
        "[fc00::1]",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    with pytest.raises(ForbiddenAddress, match="fetch guard"):
        FetchGuard().check(f"http://{address}/latest/meta-data/")


def test_public_addresses_and_the_allow_list_pass() -> None:
    FetchGuard().check("https://8.8.8.8/")
    guard = FetchGuard(["127.0.0.1", "10.20.0.0/16", "bridge.office.lan"])
    guard.check("http://127.0.0.1:8080/rss")
    guard.check("http://10.20.3.4/rss")
    with pytest.raises(ForbiddenAddress):
        guard.check("http://127.0.0.2/rss")
    with pytest.raises(ForbiddenAddress):
        guard.check("http://10.21.0.1/rss")


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, **headers: str) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(body)


def _secret(h: BaseHTTPRequestHandler) -> None:
    body = f"<html><body><article><p>{SECRET} {PARAGRAPH}</p></article></body></html>"
    _send(h, 200, body.encode(), "text/html; charset=utf-8")


def _redirect(target: list[str]) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(h: BaseHTTPRequestHandler) -> None:
        _send(h, 302, b"", "text/plain", Location=target[0])

    return handler


def _article(h: BaseHTTPRequestHandler) -> None:
    body = f"<html><body><article><h1>Bài</h1><p>{PARAGRAPH}</p></article></body></html>"
    _send(h, 200, body.encode(), "text/html; charset=utf-8")


@pytest.fixture
def inside() -> Iterator[FixtureServer]:
    """An 'internal service' on 127.0.0.2, which no test config allows."""
    with FixtureServer(routes={"/secret": _secret, "/secret2": _secret}, host="127.0.0.2") as s:
        yield s


@pytest.fixture
def outlet(inside: FixtureServer) -> Iterator[FixtureServer]:
    target = [inside.base_url + "/secret2"]
    base: list[str] = []

    def feed(h: BaseHTTPRequestHandler) -> None:
        links = [f"{inside.base_url}/secret", f"{base[0]}/ok.html", f"{base[0]}/away.html"]
        items = "".join(
            f"<item><title>Tin {n}</title><link>{link}</link><description>Ngắn.</description>"
            "</item>"
            for n, link in enumerate(links)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}'
        _send(h, 200, (body + "</channel></rss>").encode(), "application/rss+xml")

    routes = {"/feed.rss": feed, "/ok.html": _article, "/away.html": _redirect(target)}
    with FixtureServer(routes=routes) as s:
        base.append(s.base_url)
        yield s


def test_a_feed_cannot_make_the_crawler_fetch_an_internal_address(
    outlet: FixtureServer, inside: FixtureServer, db: Database, db_url: str
) -> None:
    config = load_config(ROOT / "config.yaml")
    sources = [
        Source(name="outlet", kind="feed", url=outlet.base_url + "/feed.rss"),
        Source(name="inside", kind="feed", url=inside.base_url + "/feed.rss"),
    ]
    config = config.model_copy(
        update={"sources": sources, "database_url": db_url, "crawler": local_crawler(config)}
    )

    result = collect(db, config)

    assert inside.requests == []  # not one byte asked of the internal service
    outlet_stats = result.per_source["outlet"]
    assert outlet_stats["new"] == 3
    assert outlet_stats["updated"] == 1  # the allowed article page was followed
    assert outlet_stats["article_errors"] == 2
    refused = [r for r in outlet_stats["error_reasons"] if "fetch guard" in r]
    assert any(r.endswith("/secret") for r in refused)
    assert any(r.endswith("/secret2") for r in refused)  # the redirect's target
    assert result.failed_sources == ["inside"]
    assert "fetch guard" in result.per_source["inside"]["error_reasons"][0]
    with db.session() as session:
        texts = session.scalars(select(Item.text)).all()
    assert not any(SECRET in t for t in texts)
    assert any(t.startswith("Người dân xã Bờ Y") for t in texts)


def test_submit_refuses_internal_addresses_and_redirects_to_them(
    outlet: FixtureServer, inside: FixtureServer, sqlite_db: Database
) -> None:
    config = load_config(ROOT / "config.yaml")
    config = config.model_copy(
        update={"database_url": sqlite_db.url, "crawler": local_crawler(config)}
    )
    with pytest.raises(SubmitError, match="fetch guard"):
        submit(sqlite_db, config, inside.base_url + "/secret")
    with pytest.raises(SubmitError, match="fetch guard"):
        submit(sqlite_db, config, outlet.base_url + "/away.html")
    assert inside.requests == []
    assert submit(sqlite_db, config, outlet.base_url + "/ok.html").new


def test_api_credentials_do_not_follow_a_redirect_to_another_host(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, str]] = []

    def other_api(h: BaseHTTPRequestHandler) -> None:
        seen.append(dict(h.headers.items()))
        _send(h, 200, json.dumps({"items": [], "data": []}).encode(), "application/json")

    with FixtureServer(
        routes={"/v3/search": other_api, "/v21.0/4242/posts": other_api}, host="127.0.0.3"
    ) as other:
        moved = {
            "/v3/search": _redirect([other.base_url + "/v3/search"]),
            "/v21.0/4242/posts": _redirect([other.base_url + "/v21.0/4242/posts"]),
        }
        with FixtureServer(routes=moved) as api:
            monkeypatch.setenv("PM_TEST_YT_KEY", "yt-secret-key")
            monkeypatch.setenv("PM_TEST_PAGE_TOKEN", "page-secret-token")
            sources = [
                Source(
                    name="yt",
                    kind="youtube_search",
                    query="Ngọc Hồi",
                    credential_env="PM_TEST_YT_KEY",
                    api_url=api.base_url + "/v3",
                ),
                Source(
                    name="fb",
                    kind="facebook_page",
                    account_id="4242",
                    credential_env="PM_TEST_PAGE_TOKEN",
                    api_url=api.base_url + "/v21.0",
                ),
            ]
            config = load_config(ROOT / "config.yaml")
            crawler = config.crawler.model_copy(
                update={"allow_private_hosts": ["127.0.0.1", "127.0.0.3"]}
            )
            config = config.model_copy(
                update={"sources": sources, "database_url": db_url, "crawler": crawler}
            )
            collect(db, config)
            first_hops = [h for _, h in api.requests]

    assert any(h.get("X-Goog-Api-Key") == "yt-secret-key" for h in first_hops)
    assert len(seen) == 2  # both redirects were followed
    flat = json.dumps(seen)
    assert "yt-secret-key" not in flat and "page-secret-token" not in flat


def test_lookups_of_several_hosts_run_at_once_on_the_crawl_s_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The crawl runs on uvloop where it is installed, whose own getaddrinfo lets two
    lookups run at once: two outlets with slow DNS then held up every other host. Four
    lookups here must be in progress together (each waits for the other three)."""
    import asyncio
    import socket
    import threading

    from crawler.settings import ASYNCIO_EVENT_LOOP

    together = threading.Barrier(4, timeout=20)

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        together.wait()  # BrokenBarrierError if fewer than four run at once
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr("crawler.guard.socket.getaddrinfo", resolve)
    guard = FetchGuard()

    async def lookups() -> list[str | None]:
        hosts = [f"outlet-{n}.example" for n in range(4)]
        return await asyncio.gather(*(guard.reason_async(host, 80) for host in hosts))

    loop_class = asyncio.new_event_loop
    if ASYNCIO_EVENT_LOOP:
        module, name = ASYNCIO_EVENT_LOOP.rsplit(".", 1)
        loop_class = getattr(__import__(module), name)
    loop = loop_class()
    try:
        assert loop.run_until_complete(lookups()) == [None] * 4
    finally:
        loop.close()
