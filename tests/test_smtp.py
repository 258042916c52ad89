"""Digests over SMTP to a real server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.delivery import SmtpOptions
from alerts.digest import DigestOptions, run_digest
from storage.db import Database
from storage.models import Digest
from tests.factories import flagged_item
from tests.smtp_server import SmtpServer, free_port, self_signed

RECIPIENTS = ["phongtruyenthong@example.invalid", "lanh.dao@example.invalid"]


def options(port: int, recipients: list[str] = RECIPIENTS, **smtp: object) -> DigestOptions:
    settings = {"tls": "none", "sender": "press-monitor@example.invalid", "timeout": 5, **smtp}
    return DigestOptions(
        recipients=recipients, smtp=SmtpOptions(host="127.0.0.1", port=port, **settings)
    )


def test_digest_arrives_once_in_vietnamese_and_escaped(db: Database) -> None:
    flagged_item(db, title="Tin đồn <img src=x onerror=alert(1)> ở huyện Ngọc Hồi")
    port = free_port()
    with SmtpServer(port) as server:
        assert run_digest(db, options(port)).state == "sent"
        assert run_digest(db, options(port)).state == "not_due"
    (message,) = server.received.messages
    assert server.received.envelopes == [("press-monitor@example.invalid", RECIPIENTS)]
    assert "1 cảnh báo mới" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Câu chuyện 1" in part and "Mã cảnh báo" in part
        assert "Huyện Ngọc Hồi, Tỉnh Kon Tum" in part
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    with db.session() as session:
        (digest,) = session.scalars(select(Digest)).all()
        assert digest.state == "sent" and digest.message_id == message["Message-ID"]


def test_server_down_then_back_sends_once(db: Database) -> None:
    flagged_item(db)
    port = free_port()
    down = run_digest(db, options(port))
    assert down.state == "failed" and "127.0.0.1" in down.error
    with SmtpServer(port) as server:
        retried = run_digest(db, options(port))
        again = run_digest(db, options(port))
    assert retried.state == "sent" and retried.digest_id == down.digest_id
    assert again.state == "not_due"
    assert len(server.received.messages) == 1


def test_refused_recipient_is_reported_and_not_resent(db: Database) -> None:
    flagged_item(db)
    port = free_port()
    recipients = ["refuse.me@example.invalid", RECIPIENTS[0]]
    with SmtpServer(port) as server:
        outcome = run_digest(db, options(port, recipients))
        assert run_digest(db, options(port, recipients)).state == "not_due"
    assert outcome.state == "sent"
    assert "refuse.me@example.invalid" in outcome.error and "550" in outcome.error
    assert server.received.envelopes[0][1] == [RECIPIENTS[0]]
    assert len(server.received.messages) == 1


def test_all_recipients_refused_is_a_failure(db: Database) -> None:
    flagged_item(db)
    port = free_port()
    with SmtpServer(port):
        outcome = run_digest(db, options(port, ["refuse@example.invalid"]))
    assert outcome.state == "failed"


def test_starttls_and_login(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flagged_item(db)
    cert, key = self_signed(tmp_path)
    port = free_port()
    with SmtpServer(port, tls=(cert, key), login=("pm", "mat-khau-2025")) as server:
        wrong = run_digest(
            db, options(port, tls="starttls", ca_file=str(cert), user="pm", password="sai")
        )
        right = run_digest(
            db,
            options(port, tls="starttls", ca_file=str(cert), user="pm", password="mat-khau-2025"),
        )
    assert wrong.state == "failed"
    assert right.state == "sent" and len(server.received.messages) == 1


def test_interrupted_delivery_is_not_resent_and_is_reported(db: Database, tmp_path: Path) -> None:
    """A crash after the server may have accepted: the state says "sending"."""
    flagged_item(db)
    port = free_port()
    with SmtpServer(port) as server:
        first = run_digest(db, options(port))
        with db.session() as session:  # as if the process died inside the SMTP exchange
            session.get_one(Digest, first.digest_id).state = "sending"
        flagged_item(db, n=2)
        second = run_digest(db, options(port), force=True)
    with db.session() as session:
        states = [d.state for d in session.scalars(select(Digest).order_by(Digest.id))]
    assert states == ["uncertain", "sent"]
    assert len(server.received.messages) == 2  # the first once, then the next period
    notice = server.received.messages[1].get_body(("plain",)).get_content()
    assert f"Bản tin số {first.digest_id}" in notice and "không gửi lại" in notice
    assert second.alert_count == 1


def test_reply_lost_after_data_is_uncertain_and_never_resent(db: Database) -> None:
    """The server has the whole message but its answer never comes: it may have taken it."""
    flagged_item(db)
    port = free_port()
    with SmtpServer(port) as server:
        server.faults.stall_after_data = 2
        lost = run_digest(db, options(port, timeout=0.5))
        server.faults.stall_after_data = 0
        again = run_digest(db, options(port))
        flagged_item(db, n=2)
        later = run_digest(db, options(port), force=True)
    assert lost.state == "uncertain" and "timed out" in (lost.error or "")
    assert again.state == "not_due"
    assert later.state == "sent" and later.alert_count == 1
    assert server.received.data_commands == 2  # the lost digest once, then the next one
    notice = server.received.messages[-1].get_body(("plain",)).get_content()
    assert f"Bản tin số {lost.digest_id}" in notice and "không gửi lại" in notice


def test_refusal_before_data_is_retried(db: Database) -> None:
    flagged_item(db)
    port = free_port()
    with SmtpServer(port) as server:
        server.faults.refuse_mail = 1
        refused = run_digest(db, options(port))
        retried = run_digest(db, options(port))
    assert refused.state == "failed" and "451" in (refused.error or "")
    assert retried.state == "sent" and retried.digest_id == refused.digest_id
    assert server.received.data_commands == 1 and len(server.received.messages) == 1
