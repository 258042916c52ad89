"""Issue 12, item 12: what the review pages must hold against a hostile client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from xml.etree import ElementTree

import feedparser
import pytest

from alerts.accounts import add_user
from storage.db import Database
from tests.factories import flagged_item
from tests.web_client import Client, serving
from web.app import WebOptions, create_app
from web.auth import local_path

PASSWORD = "mat-khau-du-dai"


def serve(db: Database, **options: object) -> Iterator[str]:
    with db.session() as session:
        add_user(session, "lan", PASSWORD)
    app = create_app(db, WebOptions(secret_key="k", **options))  # type: ignore[arg-type]
    with serving(app) as base:
        yield base


@pytest.fixture
def base(db: Database) -> Iterator[str]:
    yield from serve(db, login_failures_per_user=5, login_failures_per_address=8)


def test_login_is_throttled_per_user_then_per_address(base: str) -> None:
    client = Client(base)
    for _ in range(5):
        assert client.login("lan", "sai-mat-khau").status == 401
    blocked = client.login("lan", PASSWORD)  # the right password, too late
    assert blocked.status == 429
    assert "quá nhiều lần đăng nhập sai" in blocked.body
    assert client.get("/").status == 302  # still not logged in
    for name in ("a", "b", "c"):
        client.login(name, "sai-mat-khau")
    # 8 failures from this address: even another user is refused from here
    assert client.login("minh", "whatever-password").status == 429


def test_logout_ends_the_session_server_side(base: str) -> None:
    client = Client(base)
    assert client.login("lan", PASSWORD).status == 302
    copied = Client(base)
    for cookie in client.jar:
        copied.jar.set_cookie(cookie)
    assert copied.get("/").status == 200  # the copy works while the session lives
    queue = client.get("/")
    assert client.post("/logout", {"csrf_token": queue.csrf()}).status == 302
    assert copied.get("/").status == 302  # a copied cookie no longer works after logout
    assert client.login("lan", PASSWORD).status == 302  # logging in again works


def test_security_headers_on_every_page(base: str) -> None:
    client = Client(base)
    for page in (client.get("/login"), client.get("/clarifications"), client.get("/nope")):
        headers = {k.lower(): v for k, v in page.headers.items()}
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_secure_cookie_only_behind_https(db: Database) -> None:
    for base_url, secure in (("https://giamsat.example.invalid", True), (None, False)):
        app = create_app(db, WebOptions(secret_key="k", base_url=base_url))
        client = app.test_client()
        client.get("/login")
        cookie = client.get_cookie("session")
        assert cookie is not None and cookie.secure is secure


def test_feed_never_takes_links_from_the_host_header(db: Database) -> None:
    alert_id = flagged_item(db)
    from alerts.queue import Verdict, change_status, set_published

    with db.session() as session:
        change_status(session, alert_id, Verdict("verified_false", "lan", None, "Không đúng."))
        set_published(session, alert_id, True, "lan")
    evil = {"Host": "evil.example"}
    for options, expected in (
        ({}, None),
        ({"base_url": "https://giamsat.example.invalid/"}, "https://giamsat.example.invalid"),
    ):
        app = create_app(db, WebOptions(secret_key="k", **options))  # type: ignore[arg-type]
        with serving(app) as base:
            body = Client(base).get("/clarifications.atom", headers=evil).body
        assert "evil.example" not in body and "127.0.0.1" not in body
        feed = feedparser.parse(body.encode())
        assert not feed.bozo, feed.get("bozo_exception")
        (entry,) = feed.entries
        assert entry.id == f"tag:press-monitor,2025:clarifications/{alert_id}"
        if expected:
            assert entry.link == f"{expected}/clarifications#c{alert_id}"
        else:
            assert entry.link == f"/clarifications#c{alert_id}"


def test_atom_dates_are_consistent(db: Database) -> None:
    from alerts.queue import Verdict, change_status, set_published

    first, second = flagged_item(db, 1), flagged_item(db, 2)
    for alert_id in (first, second):
        with db.session() as session:
            change_status(session, alert_id, Verdict("misleading", "lan", None, "Sai lệch."))
        with db.session() as session:  # published after the verdict: later than updated_at
            set_published(session, alert_id, True, "lan")
    app = create_app(db, WebOptions(secret_key="k", base_url="https://x.example.invalid"))
    with serving(app) as base:
        body = Client(base).get("/clarifications.atom").body
    feed = feedparser.parse(body.encode())  # parsed back: a valid feed with both entries
    assert not feed.bozo and len(feed.entries) == 2
    # feedparser keeps whole seconds; the comparison needs the stored microseconds
    atom = "{http://www.w3.org/2005/Atom}"
    root = ElementTree.fromstring(body.encode())

    def when(node: ElementTree.Element, tag: str) -> datetime:
        return datetime.fromisoformat(node.findtext(atom + tag, "").rstrip("Z"))

    entries = root.findall(atom + "entry")
    for entry in entries:
        assert when(entry, "updated") >= when(entry, "published")
    assert when(root, "updated") == max(when(e, "updated") for e in entries)


def test_overlong_alert_id_is_a_404_not_a_500(base: str) -> None:
    client = Client(base)
    client.login("lan", PASSWORD)
    missing = client.get("/alerts/99999999999999999999999")
    assert missing.status == 404 and "Không tìm thấy trang" in missing.body
    assert client.get("/alerts/123456").status == 404
    assert "Not Found" not in missing.body


@pytest.mark.parametrize(
    "target",
    ["/\\evil.com", "//evil.com", "/\\/evil.com", "https://evil.com", "/\t/evil.com", "evil"],
)
def test_local_path_refuses_other_hosts(target: str) -> None:
    assert local_path(target) == "/"


def test_local_path_keeps_own_paths() -> None:
    assert local_path("/alerts/3?x=1") == "/alerts/3?x=1"


def test_login_redirect_stays_on_site(base: str) -> None:
    client = Client(base)
    form = client.get("/login")
    answer = client.post(
        "/login",
        {"csrf_token": form.csrf(), "username": "lan", "password": PASSWORD, "next": "/\\evil.com"},
    )
    assert answer.status == 302 and answer.headers["Location"] == "/"
