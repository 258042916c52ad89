"""Digests written to the outbox: once per period, Vietnamese, escaped."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

from alerts.digest import DigestOptions, run_digest
from alerts.periods import next_due
from storage.db import Database
from storage.models import Alert
from tests.factories import flagged_item


def read_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_digest_written_once_with_escaped_vietnamese(db: Database, tmp_path: Path) -> None:
    flagged_item(
        db,
        title='<script>alert("x")</script> Tin đồn ở Ngọc Hồi',
        url="http://127.0.0.1/bai/x.html",
    )
    flagged_item(db, n=2, url="javascript:alert(1)")
    options = DigestOptions(outbox=tmp_path / "outbox", recipients=["a@example.invalid"])

    outcome = run_digest(db, options)
    again = run_digest(db, options)

    assert outcome.state == "sent" and outcome.alert_count == 2
    assert again.state == "not_due"
    (eml,) = list((tmp_path / "outbox").glob("*.eml"))
    message = read_eml(eml)
    assert "2 cảnh báo mới" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<mark>tin đồn</mark>" in html
    assert "Tin đồn ở Ngọc Hồi" in text and "Mã cảnh báo: #1" in text
    assert "Huyện Ngọc Hồi, Tỉnh Kon Tum" in text


def test_empty_period_sends_nothing_unless_all_clear(db: Database, tmp_path: Path) -> None:
    quiet = run_digest(db, DigestOptions(outbox=tmp_path / "q"))
    assert quiet.state == "empty" and not (tmp_path / "q").exists()
    loud = run_digest(db, DigestOptions(outbox=tmp_path / "l", all_clear=True), force=True)
    assert loud.state == "sent"
    (eml,) = list((tmp_path / "l").glob("*.eml"))
    assert "không có cảnh báo mới" in read_eml(eml)["Subject"]


def test_next_period_after_schedule(db: Database, tmp_path: Path) -> None:
    options = DigestOptions(outbox=tmp_path / "o", schedule="0 7 * * *")
    first = run_digest(db, options, now=datetime(2025, 7, 1, 1, 0))  # 08:00 in Hồ Chí Minh
    assert first.state == "empty"
    alert_id = flagged_item(db)
    with db.session() as session:  # the alert appeared during the day
        session.get_one(Alert, alert_id).created_at = datetime(2025, 7, 1, 5, 0)
    assert run_digest(db, options, now=datetime(2025, 7, 1, 23, 0)).state == "not_due"
    due = run_digest(db, options, now=datetime(2025, 7, 2, 0, 5))  # 07:05 next day
    assert due.state == "sent" and due.alert_count == 1


def test_next_due_is_in_ho_chi_minh_time() -> None:
    after = datetime(2025, 7, 1, 1, 0)  # 08:00 +07
    assert next_due("0 7 * * *", "Asia/Ho_Chi_Minh", after) == datetime(2025, 7, 2, 0, 0)
    assert next_due("0 7 * * *", "Asia/Ho_Chi_Minh", after - timedelta(hours=2)) == datetime(
        2025, 7, 1, 0, 0
    )


def test_digest_links_to_review_pages_when_served(db: Database, tmp_path: Path) -> None:
    alert_id = flagged_item(db)
    options = DigestOptions(outbox=tmp_path / "o", review_base_url="https://gs.example.invalid/")
    run_digest(db, options)
    (eml,) = list((tmp_path / "o").glob("*.eml"))
    message = read_eml(eml)
    link = f"https://gs.example.invalid/alerts/{alert_id}"
    assert f'<a href="{link}">#{alert_id}</a>' in message.get_body(("html",)).get_content()
    assert link in message.get_body(("plain",)).get_content()
