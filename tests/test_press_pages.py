"""The review pages' press page through real HTTP: notes for the press, the last bulletins and
reports, downloads for logged-in analysts only."""

from __future__ import annotations

import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from alerts.accounts import add_user
from alerts.bulletin import BulletinOptions, Contact, run_bulletin
from alerts.queue import Verdict, change_status
from alerts.report import ReportOptions, make_report, parse_period
from storage.db import Database
from storage.models import Alert, PressNote, utcnow
from tests.factories import flagged_item
from tests.test_vietnamese_pages import chart_texts
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

PASSWORD = "mat-khau-du-dai"


def download(client: Client, path: str) -> tuple[int, str, bytes]:
    with client.opener.open(urllib.request.Request(client.base + path), timeout=30) as response:
        return response.status, response.headers["Content-Type"], response.read()


def test_notes_bulletins_and_reports_for_analysts_only(sqlite_db: Database, tmp_path: Path) -> None:
    db = sqlite_db
    with db.session() as s:
        add_user(s, "lan", PASSWORD, "Nguyễn Thị Lan")
    alert_id = flagged_item(db)
    with db.session() as s:
        change_status(s, alert_id, Verdict("verified_true", "lan"))
    number, filename, content = make_report(
        db, ReportOptions(), parse_period("week", datetime(2025, 7, 3)), "Ngọc Hồi", "docx"
    )
    app = create_app(db, WebOptions(secret_key="test-secret"))
    with serving(app) as base:
        client = Client(base)
        for path in ("/press", f"/reports/{number}", "/press/bulletins/1.html"):
            assert client.get(path).status == 302, path  # to the login page
        assert client.login("lan", PASSWORD).status == 302
        with db.session() as s:  # 14 days without alerts: charts say so instead of failing
            s.execute(update(Alert).values(created_at=datetime(2025, 7, 1)))
        empty = client.get("/overview")
        assert empty.status == 200 and "Chưa có dữ liệu" in str(chart_texts(empty.body))
        with db.session() as s:
            s.execute(update(Alert).values(created_at=utcnow()))

        alert_page = client.get(f"/alerts/{alert_id}")
        assert 'id="press-note-form"' in alert_page.body
        saved = client.post(
            "/press/notes",
            {
                "csrf_token": alert_page.csrf(),
                "alert_id": str(alert_id),
                "text": "<b>Công an xã</b> xác nhận có đối tượng mạo danh.",
                "link": "https://quangngai.example.invalid/tb",
            },
        )
        assert saved.headers["Location"].endswith(f"/alerts/{alert_id}")
        press = client.get("/press")
        refused = client.post(
            "/press/notes",
            {"csrf_token": press.csrf(), "text": "Lịch cắt điện", "link": "javascript:alert(1)"},
        )
        assert "Liên kết phải bắt đầu bằng http" in client.follow(refused).body
        client.post("/press/notes", {"csrf_token": press.csrf(), "text": "Lịch cắt điện 15/7."})
        with db.session() as s:
            notes = [(n.alert_id, n.text, n.created_by) for n in s.scalars(select(PressNote))]
        assert notes == [
            (alert_id, "<b>Công an xã</b> xác nhận có đối tượng mạo danh.", "lan"),
            (None, "Lịch cắt điện 15/7.", "lan"),
        ]

        outbox = tmp_path / "outbox"
        contacts = (Contact("Báo Quảng Ngãi", "toasoan@example.invalid"),)
        options = BulletinOptions(
            contacts=contacts, unsubscribe="huy@example.invalid", outbox=outbox
        )
        sent = run_bulletin(db, options, now=utcnow() + timedelta(minutes=1), force=True)
        assert sent.entries == 2

        press = client.get("/press")
        assert filename in press.body and f'href="/reports/{number}"' in press.body
        assert "Báo Quảng Ngãi &lt;toasoan@example.invalid&gt;: đã gửi" in press.body
        assert "&lt;b&gt;Công an xã&lt;/b&gt;" in press.body
        status, media, body = download(client, f"/reports/{number}")
        assert status == 200 and media.endswith("wordprocessingml.document") and body == content
        status, media, body = download(client, f"/press/bulletins/{sent.bulletin_id}.html")
        html = body.decode()
        assert status == 200 and media.startswith("text/html")
        assert "&lt;b&gt;Công an xã&lt;/b&gt;" in html and "Lịch cắt điện 15/7." in html
        assert "Nguyễn Thị Lan" not in html
        assert client.get("/reports/999").status == 404
