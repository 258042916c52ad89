"""Alerts routed to their localities: alert_localities, export's locality_keys, and digests
per locality received by a real SMTP server, each analyst getting exactly their message."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from alerts.digest import run_digest
from alerts.export import export_rows
from monitor.config import load_config
from monitor.wiring import digest_options
from storage.db import Database
from storage.models import AlertLocality, DigestDelivery
from tests.factories import flagged_item
from tests.helpers import run_cli
from tests.smtp_server import SmtpServer, free_port
from tests.test_localities import BO_Y, SA_LOONG, with_localities

PROVINCE = "tinh@example.invalid"
BOTH = "hai-xa@example.invalid"


def routed_config(tmp_path: Path, port: int, db_url: str) -> Path:
    """Bờ Y and Sa Loong with an analyst each, one analyst of both, and the province."""
    return with_localities(
        tmp_path,
        [
            {**BO_Y, "analysts": ["boy@example.invalid", BOTH]},
            {**SA_LOONG, "analysts": ["saloong@example.invalid", BOTH]},
        ],
        analysts=[PROVINCE],
        smtp={"host": "127.0.0.1", "port": port, "tls": "none", "sender": "pm@example.invalid"},
        database_url=db_url,
    )


def seed(db: Database) -> dict[str, int]:
    return {
        "bo-y": flagged_item(db, 1, title="Tin đồn đóng cửa khẩu Bờ Y", locality_keys=["bo-y"]),
        "sa-loong": flagged_item(db, 2, title="Lừa đảo ở xã Sa Loong", locality_keys=["sa-loong"]),
        "both": flagged_item(
            db, 3, title="Tin giả về Ngọc Hồi cũ", locality_keys=["bo-y", "sa-loong"]
        ),
    }


def test_alerts_record_their_localities_and_export_them(db: Database, tmp_path: Path) -> None:
    alerts = seed(db)
    with db.session() as session:
        rows = session.execute(
            select(AlertLocality.alert_id, AlertLocality.locality_key).order_by(
                AlertLocality.alert_id, AlertLocality.locality_key
            )
        ).all()
    assert rows == [
        (alerts["bo-y"], "bo-y"),
        (alerts["sa-loong"], "sa-loong"),
        (alerts["both"], "bo-y"),
        (alerts["both"], "sa-loong"),
    ]
    exported = {row["alert_id"]: row["locality_keys"] for row in export_rows(db)}
    assert exported == {
        alerts["bo-y"]: ["bo-y"],
        alerts["sa-loong"]: ["sa-loong"],
        alerts["both"]: ["bo-y", "sa-loong"],
    }
    only = export_rows(db, allowed=["sa-loong"])
    assert [row["alert_id"] for row in only] == [alerts["sa-loong"], alerts["both"]]


def test_alerts_export_cli_has_locality_keys(sqlite_db: Database, tmp_path: Path) -> None:
    alerts = seed(sqlite_db)
    config = routed_config(tmp_path, free_port(), sqlite_db.url)
    done = run_cli("--config", str(config), "alerts", "export", "--format", "jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["alert_id"]: r["locality_keys"] for r in records}[alerts["both"]] == [
        "bo-y",
        "sa-loong",
    ]


def test_each_analyst_gets_exactly_their_digest(db: Database, tmp_path: Path) -> None:
    seed(db)
    port = free_port()
    options = digest_options(load_config(routed_config(tmp_path, port, db.url)), tmp_path)
    with SmtpServer(port) as server:
        server.faults.refuse_mail = 1  # the first message fails once (451): retried alone
        first = run_digest(db, options)
        assert first.state == "failed"
        second = run_digest(db, options)
        assert second.state == "sent"
        assert run_digest(db, options).state == "not_due"
    by_recipients = {
        tuple(to): message
        for (_, to), message in zip(
            server.received.envelopes, server.received.messages, strict=True
        )
    }
    # one message per audience, each to exactly its analysts, none twice
    assert sorted(by_recipients) == [
        ("boy@example.invalid",),
        (BOTH,),
        ("saloong@example.invalid",),
        (PROVINCE,),
    ]
    assert len(server.received.messages) == 4

    def text(recipient: str) -> str:
        return by_recipients[(recipient,)].get_body(("plain",)).get_content()

    bo_y, sa_loong, both, province = (
        text("boy@example.invalid"),
        text("saloong@example.invalid"),
        text(BOTH),
        text(PROVINCE),
    )
    assert "Tin đồn đóng cửa khẩu Bờ Y" in bo_y and "Tin giả về Ngọc Hồi cũ" in bo_y
    assert "Lừa đảo ở xã Sa Loong" not in bo_y
    assert "Lừa đảo ở xã Sa Loong" in sa_loong and "cửa khẩu Bờ Y" not in sa_loong
    assert "2 cảnh báo mới" in by_recipients[("saloong@example.invalid",)]["Subject"]
    # the analyst of both communes: one message, grouped by commune
    assert "##### Xã Bờ Y: 2 cảnh báo #####" in both
    assert "##### Xã Sa Loong: 2 cảnh báo #####" in both
    assert both.index("Xã Bờ Y:") < both.index("Xã Sa Loong:")
    assert "3 cảnh báo mới" in by_recipients[(BOTH,)]["Subject"]
    # the province: everything
    assert all(t in province for t in ("cửa khẩu Bờ Y", "xã Sa Loong", "Ngọc Hồi cũ"))
    with db.session() as session:
        states = sorted(session.scalars(select(DigestDelivery.state)))
    assert states == ["sent"] * 4
