"""The review pages through real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import select

from alerts.accounts import add_user
from storage.db import Database
from storage.models import Alert, AlertEvent, User
from tests.factories import flagged_item
from tests.helpers import ROOT, run_cli
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

PASSWORD = "mat-khau-du-dai"
HOSTILE = '<script>alert("xss")</script> Tin đồn ở huyện Ngọc Hồi'


@pytest.fixture
def site(db: Database) -> Iterator[tuple[str, Database]]:
    with db.session() as session:
        add_user(session, "lan", PASSWORD, "Nguyễn Thị Lan")
    app = create_app(db, WebOptions(secret_key="test-secret", base_url=None))
    with serving(app) as base:
        yield base, db


def test_login_queue_verdict_and_feed(site: tuple[str, Database]) -> None:
    base, db = site
    alert_id = flagged_item(db, title=HOSTILE)
    client = Client(base)

    assert client.get("/").status == 302  # not logged in
    assert client.login("lan", "sai-mat-khau").status == 401
    assert client.login("lan", PASSWORD).status == 302

    queue = client.get("/")
    assert queue.status == 200 and "Hàng đợi cảnh báo" in queue.body
    overview = client.get("/overview")
    assert overview.status == 200 and "bao-test" in overview.body and "Tin đồn" in overview.body
    filtered = client.get("/?status=dismissed")
    assert "Không có cảnh báo nào." in filtered.body

    assert "<script>alert" not in queue.body and "&lt;script&gt;" in queue.body
    page = client.get(f"/alerts/{alert_id}")
    assert '<mark class="match">tin đồn</mark>' in page.body
    assert '<mark class="place">huyện Ngọc Hồi</mark>' in page.body
    assert "<script>alert" not in page.body

    form = {
        "status": "verified_false",
        "note": "Đã xác minh",
        "clarification": "Không có việc cắt điện.",
        "link": "https://example.invalid/dc",
        "publish": "1",
    }
    refused = client.post(f"/alerts/{alert_id}/verdict", form)  # no CSRF token
    assert refused.status == 400
    with db.session() as session:
        assert session.get_one(Alert, alert_id).status == "new"

    saved = client.post(f"/alerts/{alert_id}/verdict", {**form, "csrf_token": page.csrf()})
    assert saved.status == 303
    assert "Đã lưu" in client.follow(saved).body
    with db.session() as session:
        alert = session.get_one(Alert, alert_id)
        assert alert.status == "verified_false" and alert.published_at is not None
        actors = {e.actor for e in session.scalars(select(AlertEvent))}
    assert "lan" in actors

    public = Client(base)  # the press: no login
    html = public.get("/clarifications")
    assert "Không có việc cắt điện." in html.body and "Nguyễn Thị Lan" not in html.body
    atom = public.get("/clarifications.atom")
    assert atom.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(atom.body.encode())
    assert not feed.bozo, feed.get("bozo_exception")
    (entry,) = feed.entries
    assert "Không có việc cắt điện." in entry.summary
    assert "<script>" in entry.title  # the claim as reported, as text, not markup
    assert "Nguyễn Thị Lan" not in atom.body


def test_get_never_changes_state_and_sessions_expire(db: Database) -> None:
    with db.session() as session:
        add_user(session, "lan", PASSWORD)
    alert_id = flagged_item(db)
    app = create_app(db, WebOptions(secret_key="k", session_hours=1 / 3600))
    with serving(app) as base:
        client = Client(base)
        client.login("lan", PASSWORD)
        client.get(f"/alerts/{alert_id}/verdict?status=dismissed")
        with db.session() as session:
            assert session.get_one(Alert, alert_id).status == "new"
        import time

        time.sleep(1.5)
        assert client.get("/").status == 302  # expired: back to the login page


def test_disabled_user_cannot_log_in(db: Database) -> None:
    from alerts.accounts import set_active

    with db.session() as session:
        add_user(session, "minh", PASSWORD)
        set_active(session, "minh", False)
    app = create_app(db, WebOptions(secret_key="k"))
    with serving(app) as base:
        assert Client(base).login("minh", PASSWORD).status == 401


def test_users_cli(tmp_path: Path) -> None:
    env = {"PRESS_MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'u.db'}"}

    def users(*args: str, password: str = ""):
        return run_cli(
            "--config",
            str(ROOT / "config.yaml"),
            "users",
            *args,
            cwd=tmp_path,
            env=env,
            stdin=password + "\n",
        )

    added = users("add", "lan", "--password-stdin", password="mat-khau-du-dai")
    assert added.returncode == 0 and "user lan added" in added.stdout
    again = users("add", "lan", "--password-stdin", password="mat-khau-du-dai")
    assert again.returncode == 1 and "already exists" in again.stderr
    short = users("add", "minh", "--password-stdin", password="ngan")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    assert users("disable", "lan").returncode == 0
    db = Database(env["PRESS_MONITOR_DATABASE_URL"])
    with db.session() as session:
        (user,) = session.scalars(select(User)).all()
        assert not user.active and user.password_hash.startswith("scrypt$")
    db.dispose()
