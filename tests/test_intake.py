"""The tip line against a real IMAP server (Dovecot) on 127.0.0.1, and `submit`."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.analysis import analyze
from monitor.config import Intake, load_config
from monitor.fixture_server import FixtureServer
from monitor.intake import intake_cycle, submit
from storage.db import Database
from storage.models import Alert, Item, Source
from tests.helpers import ROOT, local_crawler
from tests.imap_server import PASSWORD, USER, Dovecot

pytestmark = pytest.mark.slow


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    # Dovecot's own processes (not root) must reach the folder: pytest's tmp is root-only.
    root = Path(tempfile.mkdtemp(prefix="pm-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def forwarded_tip() -> bytes:
    message = EmailMessage()
    message["From"] = "Người dân <nguoidan@example.invalid>"
    message["To"] = "tiepnhan@example.invalid"
    message["Subject"] = "Fwd: tin nhắn Zalo lạ"
    message["Message-ID"] = "<tip-001@example.invalid>"
    message["Date"] = "Wed, 03 Sep 2025 20:15:00 +0700"
    message.set_content(
        "Nhóm Zalo của thôn đang chia sẻ tin này:\n"
        '"Thông báo khẩn: UBND xã Bờ Y yêu cầu người dân chuyển khoản phí làm căn cước '
        'vào STK 0123 456 789 trước ngày mai, ai không nộp sẽ bị phạt."\n'
        "Link: https://zalo.example.invalid/bai/123"
    )
    message.add_attachment(
        "Ảnh chụp màn hình kèm chú thích: công văn giả mạo UBND xã Bờ Y",
        subtype="plain",
        filename="chu-thich.txt",
    )
    return bytes(message)


MALFORMED = (
    b"From: x@example.invalid\r\nSubject: hong\r\nMessage-ID: <bad-1@x>\r\n"
    b"Content-Type: multipart/mixed\r\n\r\nkhong co ranh gioi\r\n"
)


def test_tip_becomes_an_analyzed_item_once(
    dovecot: Dovecot, db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_TEST_IMAP_PASSWORD", PASSWORD)
    intake = Intake(
        host="127.0.0.1",
        port=dovecot.port,
        tls="none",
        user=USER,
        password_env="PM_TEST_IMAP_PASSWORD",
        acknowledge=True,
    )
    config = load_config(ROOT / "config.yaml").model_copy(
        update={"database_url": db_url, "outbox": str(tmp_path / "outbox"), "intake": intake}
    )
    dovecot.deliver(forwarded_tip())
    dovecot.deliver(MALFORMED)

    first, acknowledged, report = intake_cycle(db, config)
    assert first.stored == 1 and len(first.errors) == 1
    assert "malformed" in first.errors[0]
    assert report.flagged == 1 and len(report.new_alerts) == 1
    assert acknowledged == 1
    (ack,) = list((tmp_path / "outbox").glob("ack-*.eml"))
    assert "To: nguoidan@example.invalid" in ack.read_text()

    with db.session() as session:
        (item,) = session.scalars(select(Item)).all()
        assert item.canonical_url == "tipline:tip-001@example.invalid"
        assert item.title == "tin nhắn Zalo lạ"
        assert "STK 0123 456 789" in item.text and "công văn giả mạo" in item.text
        assert item.url == "https://zalo.example.invalid/bai/123"
        assert item.reply_to == "nguoidan@example.invalid"
        assert item.author is None  # nothing else about the sender
        assert session.scalar(select(Source.last_error).where(Source.name == "tipline"))
        assert len(session.scalars(select(Alert)).all()) == 1

    again, acknowledged_again, _ = intake_cycle(db, config)  # handled messages are flagged
    assert again.stored == 0 and again.errors == [] and acknowledged_again == 0
    assert len(list((tmp_path / "outbox").glob("ack-*.eml"))) == 1  # acknowledged once
    flags = " ".join(dovecot.flags())
    assert "$PressMonitorIngested" in flags and "$PressMonitorError" in flags  # kept, flagged


def test_submit_url_and_text(db: Database, db_url: str, tmp_path: Path) -> None:
    page = tmp_path / "site" / "bai.html"
    page.parent.mkdir()
    page.write_text(
        "<html><head><meta charset='utf-8'><title>Tin đồn</title></head><body><article>"
        "<h1>Tin đồn vỡ đập ở xã Sa Loong</h1><p>Trên mạng lan truyền tin đồn vỡ đập thủy "
        "điện ở xã Sa Loong, tỉnh Quảng Ngãi, khiến người dân hoang mang suốt đêm qua.</p>"
        "<p>Chính quyền đang xác minh.</p></article></body></html>",
        encoding="utf-8",
    )
    config = load_config(ROOT / "config.yaml")
    config = config.model_copy(update={"database_url": db_url, "crawler": local_crawler(config)})
    with FixtureServer(page.parent) as server:
        by_url = submit(db, config, server.base_url + "/bai.html?utm_source=zalo")
    by_text = submit(db, config, "Tin đồn lừa đảo ở thị trấn Plei Kần, nghe nói chuyển khoản")
    again = submit(db, config, "Tin đồn lừa đảo ở thị trấn Plei Kần, nghe nói chuyển khoản")
    assert by_url.new and by_text.new and not again.new
    assert by_url.canonical_url == server.base_url + "/bai.html"
    assert by_url.title == "Tin đồn vỡ đập ở xã Sa Loong"
    report = analyze(db, config)
    assert report.analyzed == 2 and report.flagged == 2
