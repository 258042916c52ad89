"""Bounded work downstream of collection: alerts per source per run, digest size, and an SMTP
server that refuses a message for good (a real aiosmtpd server on 127.0.0.1)."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from sqlalchemy import select

from alerts.digest import DigestOptions, run_digest
from monitor.analysis import analyze
from monitor.config import load_config
from monitor.status_report import status_report
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Alert, Analysis, Digest, Item
from storage.sources import SourceSpec, sync_sources
from tests.factories import flagged_item
from tests.helpers import ROOT, run_cli, write_config
from tests.smtp_server import SmtpServer, free_port

FLOOD = (
    "Tin đồn lừa đảo ở huyện Ngọc Hồi: kẻ gian giả danh công an gọi điện yêu cầu chuyển "
    "khoản ngay, bà con cảnh giác! Số {n}."
)


def read_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_alerts_per_source_per_run_are_capped_and_the_overflow_reported(
    db: Database, tmp_path: Path
) -> None:
    config = load_config(ROOT / "config.yaml")
    config = config.model_copy(
        update={"limits": config.limits.model_copy(update={"alerts_per_source_per_run": 2})}
    )
    with db.session() as session:
        ids = sync_sources(
            session,
            [
                SourceSpec("trang-lu-tin", "feed", "http://127.0.0.1/lu.rss", trust="social"),
                SourceSpec("bao-kon-tum", "feed", "http://127.0.0.1/bkt.rss"),
            ],
        )
    with db.session() as session:
        for n in range(6):
            url = f"http://127.0.0.1/lu/{n}"
            upsert_item(
                session, ItemData(ids["trang-lu-tin"], url, url, "Cảnh giác", FLOOD.format(n=n))
            )
        url = "http://127.0.0.1/bkt/1"
        upsert_item(session, ItemData(ids["bao-kon-tum"], url, url, "Cảnh giác", FLOOD.format(n=9)))

    report = analyze(db, config)
    assert report.flagged == 7
    assert len(report.new_alerts) == 3  # two of the flood, the press item untouched
    assert report.held_back == {"trang-lu-tin": 4}
    with db.session() as session:
        alerted = session.scalars(
            select(Item.source_id).join(Alert, Alert.item_id == Item.id)
        ).all()
        assert sorted(alerted).count(ids["trang-lu-tin"]) == 2
    text, _ = status_report(db)
    assert "trang-lu-tin" in text and "4 flagged items wait" in text

    options = DigestOptions(outbox=tmp_path / "outbox", alerts_per_source_per_run=2)
    digest = run_digest(db, options)
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    body = read_eml(eml).get_body(("plain",)).get_content()
    assert digest.alert_count == 3
    assert "trang-lu-tin" in body and "4 tin" in body and "giới hạn 2 cảnh báo" in body

    nothing_new = analyze(db, config)  # the held-back items are taken, strongest first
    assert len(nothing_new.new_alerts) == 2 and nothing_new.held_back == {"trang-lu-tin": 2}


def test_digest_shows_the_strongest_alerts_and_links_to_the_queue(
    db: Database, tmp_path: Path
) -> None:
    for n in range(1, 7):
        flagged_item(db, n=n, title=f"Tin đồn số {n} ở huyện Ngọc Hồi", score=float(n))
    options = DigestOptions(
        outbox=tmp_path / "outbox", max_alerts=3, review_base_url="https://pm.example.invalid/"
    )
    outcome = run_digest(db, options)
    assert outcome.state == "sent" and outcome.alert_count == 6
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    message = read_eml(eml)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert all(f"Tin đồn số {n} " in part for n in (6, 5, 4))
        assert not any(f"Tin đồn số {n} " in part for n in (1, 2, 3))
        assert "và 3 cảnh báo khác" in part and "https://pm.example.invalid/" in part
    assert "6 cảnh báo mới" in message["Subject"]
    with db.session() as session:  # all six belong to this digest: none is mailed again
        assert set(session.scalars(select(Alert.digest_id))) == {outcome.digest_id}


def test_a_message_refused_for_good_is_closed_reported_and_never_resent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pm.db'}"
    db = Database(url)
    for n in range(1, 4):
        flagged_item(db, n=n, text="Người dân xôn xao vì tin đồn lừa đảo ở huyện Ngọc Hồi. " * 40)
    port = free_port()
    config = write_config(
        tmp_path / "config.yaml",
        database_url=url,
        analysts=["phongtruyenthong@example.invalid"],
        smtp={
            "host": "127.0.0.1",
            "port": port,
            "tls": "none",
            "sender": "press-monitor@example.invalid",
            "timeout_seconds": 5,
        },
    )
    env = {"PRESS_MONITOR_CONFIG": str(config)}
    with SmtpServer(port) as server:
        server.faults.max_bytes = 4000
        refused = run_cli("digest", "--force", cwd=tmp_path, env=env)
        forced = run_cli("digest", "--force", cwd=tmp_path, env=env)
        status = run_cli("status", cwd=tmp_path, env=env)
        server.faults.max_bytes = None
        flagged_item(db, n=4)
        later = run_cli("digest", "--force", cwd=tmp_path, env=env)
        healthy = run_cli("status", cwd=tmp_path, env=env)

    assert refused.returncode == 1 and "552" in refused.stdout, refused.stdout + refused.stderr
    assert "not resent" in refused.stdout
    assert forced.returncode == 0 and "no new alerts" in forced.stdout, forced.stdout
    assert len(server.received.rejected_sizes) == 1  # --force did not send it again
    assert status.returncode == 1, status.stdout
    assert "#1 rejected" in status.stdout and "552" in status.stdout
    assert later.returncode == 0, later.stdout + later.stderr
    (message,) = server.received.messages
    notice = message.get_body(("plain",)).get_content()
    assert "Bản tin số 1" in notice and "552" in notice and "3 cảnh báo" in notice
    assert healthy.returncode == 0, healthy.stdout
    with db.session() as session:
        states = [d.state for d in session.scalars(select(Digest).order_by(Digest.id))]
        assert session.scalar(select(Analysis.id).limit(1)) is not None
    assert states == ["rejected", "empty", "sent"]
    db.dispose()


def test_status_fails_on_a_stuck_or_failed_digest(db: Database) -> None:
    from datetime import timedelta

    from storage.models import utcnow

    flagged_item(db)
    with db.session() as session:
        session.add(
            Digest(
                period_start=utcnow() - timedelta(days=1),
                period_end=utcnow() - timedelta(hours=3),
                state="sending",
                alert_count=1,
                created_at=utcnow() - timedelta(hours=3),
            )
        )
    text, healthy = status_report(db)
    assert not healthy and "DIGEST STUCK" in text
    with db.session() as session:
        digest = session.scalars(select(Digest)).one()
        digest.state, digest.error = "failed", "SMTP 127.0.0.1:25: connection refused"
    text, healthy = status_report(db)
    assert not healthy and "DIGEST FAILED" in text and "connection refused" in text
    with db.session() as session:
        session.scalars(select(Digest)).one().state = "sent"
    assert status_report(db)[1]
