"""The press bulletin through a real SMTP server (aiosmtpd) on 127.0.0.1: once per period per
contact, only what the office published in the period, hostile text escaped, no analyst
named, never resent after a crash mid-send."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select, update

from alerts.accounts import add_user
from alerts.bulletin import (
    BulletinOptions,
    BulletinView,
    Contact,
    Entry,
    group_by_locality,
    render_bulletin,
    run_bulletin,
)
from alerts.delivery import SmtpOptions
from alerts.press_notes import add_note, withdraw_note
from alerts.queue import Verdict, change_status, set_published
from storage.db import Database
from storage.models import Alert, PressBulletin, PressDelivery, PressNote, utcnow
from tests.factories import flagged_item
from tests.helpers import wait_for, write_config
from tests.smtp_server import SmtpServer, free_port

ANALYST, ANALYST_NAME = "tranthib", "Trần Thị Bình"
CONTACTS = (
    Contact("Báo Quảng Ngãi", "toasoan@baoquangngai.example.invalid", "Lê Văn Biên"),
    Contact("Đài PT-TH Quảng Ngãi", "thoisu@ptthqn.example.invalid"),
)
UNSUBSCRIBE = "huy-dang-ky@quangngai.example.invalid"
HOSTILE_CLAIM = '<img src=x onerror=alert(1)> Tin "vỡ đập" ở Sa Loong'
HOSTILE_CLARIFICATION = (
    "<script>alert('x')</script> Đập Sa Loong an toàn.\r\nBcc: victim@example.invalid\r\n"
    "Subject: gia mao"
)


def options(port: int | None, outbox: Path | None = None, **smtp: object) -> BulletinOptions:
    settings = {"tls": "none", "sender": "vanphong@example.invalid", "timeout": 5, **smtp}
    return BulletinOptions(
        contacts=CONTACTS,
        unsubscribe=UNSUBSCRIBE,
        office="Bộ phận theo dõi thông tin",
        schedule="0 3 1 1 *",  # once a year: never due again during a test
        locality="Ngọc Hồi",
        sender="vanphong@example.invalid",
        smtp=SmtpOptions(host="127.0.0.1", port=port, **settings) if port else None,
        outbox=outbox or Path("unused"),
    )


def verdict(db: Database, alert_id: int, status: str, clarification: str | None = None) -> None:
    with db.session() as s:
        change_status(s, alert_id, Verdict("in_review", ANALYST))
        change_status(
            s,
            alert_id,
            Verdict(status, ANALYST, f"{ANALYST_NAME} đã xác minh", clarification),
        )


def publish(db: Database, alert_id: int, days_ago: float) -> None:
    with db.session() as s:
        set_published(s, alert_id, True, ANALYST)
        s.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(published_at=utcnow() - timedelta(days=days_ago))
        )


def note(db: Database, text: str, days_ago: float, alert_id: int | None = None) -> int:
    with db.session() as s:
        n = add_note(s, text, "https://quangngai.example.invalid/tb", ANALYST, alert_id)
        n.created_at = utcnow() - timedelta(days=days_ago)
        return n.id


def office_week(db: Database) -> None:
    """A week of the office's work, with what must stay out of the bulletin around it."""
    with db.session() as s:
        add_user(s, ANALYST, "mat-khau-du-dai", ANALYST_NAME)
    hostile = flagged_item(db, 1, title=HOSTILE_CLAIM + " tin đồn")
    verdict(db, hostile, "verified_false", HOSTILE_CLARIFICATION)
    publish(db, hostile, days_ago=2)
    old = flagged_item(db, 2, title="Tin đồn cũ đã đính chính tháng trước")
    verdict(db, old, "verified_false", "Đính chính cũ, kỳ trước.")
    publish(db, old, days_ago=10)
    unpublished = flagged_item(db, 3, title="Tin đồn chưa công bố đính chính")
    verdict(db, unpublished, "misleading", "Đính chính chưa công bố.")
    true = flagged_item(db, 4, title="Cảnh báo mạo danh công an đòi chuyển tiền")
    verdict(db, true, "verified_true")
    note(db, "Công an xã xác nhận có đối tượng mạo danh; người dân không chuyển tiền.", 1, true)
    note(db, "Lịch cắt điện ngày 15/7 tại xã Bờ Y.", 1)
    withdrawn = note(db, "Thông tin đã rút lại.", 1)
    with db.session() as s:
        withdraw_note(s, withdrawn)
    note(db, "Thông tin của kỳ trước.", 20)


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def everything(message: EmailMessage) -> str:
    """Headers and decoded bodies: what a newsroom can read in the message."""
    headers = "\n".join(f"{k}: {v}" for k, v in message.items())
    return headers + "\n".join(parts(message))


def test_each_contact_gets_the_period_once_with_only_what_was_published(db: Database) -> None:
    office_week(db)
    port = free_port()
    with SmtpServer(port) as server:
        first = run_bulletin(db, options(port), force=True)
        assert run_bulletin(db, options(port)).state == "not_due"  # next period not due
        again = run_bulletin(db, options(port), force=True)  # a new, empty period
    assert first.state == "open" and first.entries == 3
    assert sorted(first.deliveries["sent"]) == sorted(c.email for c in CONTACTS)
    assert again.state == "empty" and not again.deliveries
    assert sorted(r for _, rcpts in server.received.envelopes for r in rcpts) == sorted(
        c.email for c in CONTACTS
    )
    messages = server.received.messages
    assert len(messages) == 2
    with db.session() as s:
        stored = {d.email: d.message_id for d in s.scalars(select(PressDelivery))}
        states = [b.state for b in s.scalars(select(PressBulletin).order_by(PressBulletin.id))]
    assert states == ["done", "empty"]
    for message in messages:
        (to,) = message["To"].addresses
        assert stored[to.addr_spec] == message["Message-ID"]  # each its own Message-ID
        assert message["List-Unsubscribe"].strip() == f"<mailto:{UNSUBSCRIBE}?subject=unsubscribe>"
        text, html = parts(message)
        for part in (text, html):
            assert UNSUBSCRIBE in part
            assert "Đập Sa Loong an toàn." in part and "Sai sự thật" in part
            assert "Công an xã xác nhận có đối tượng mạo danh" in part and "Đúng sự thật" in part
            assert "Cảnh báo mạo danh công an đòi chuyển tiền" in part
            assert "Lịch cắt điện ngày 15/7 tại xã Bờ Y." in part
            for absent in (
                "Đính chính cũ",
                "Đính chính chưa công bố",
                "Thông tin đã rút lại",
                "Thông tin của kỳ trước",
            ):
                assert absent not in part
    assert messages[0]["Message-ID"] != messages[1]["Message-ID"]
    assert {m["To"].addresses[0].display_name for m in messages} == {c.newsroom for c in CONTACTS}


def test_hostile_text_is_escaped_and_no_analyst_is_named(
    sqlite_db: Database, tmp_path: Path
) -> None:
    office_week(sqlite_db)
    port = free_port()
    with SmtpServer(port) as server:
        run_bulletin(sqlite_db, options(port), force=True)
    for message in server.received.messages:
        text, html = parts(message)
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert HOSTILE_CLAIM in text  # plain text shows it as it was written
        # the clarification's "Bcc:" and "Subject:" lines stay in the body
        assert message["Bcc"] is None and "gia mao" not in message["Subject"]
        assert len(message.get_all("Subject")) == 1
        readable = everything(message)
        for name in (ANALYST, ANALYST_NAME, "Trần Thị", "đã xác minh"):
            assert name not in readable
    recipients = [r for _, rcpts in server.received.envelopes for r in rcpts]
    assert "victim@example.invalid" not in recipients


def test_reply_lost_after_data_is_uncertain_and_never_resent(db: Database) -> None:
    office_week(db)
    port = free_port()
    with SmtpServer(port) as server:
        server.faults.stall_after_data = 2
        lost = run_bulletin(db, options(port, timeout=0.5), force=True)
        server.faults.stall_after_data = 0
        later = run_bulletin(db, options(port))
    assert sorted(lost.deliveries["uncertain"]) == sorted(c.email for c in CONTACTS)
    assert later.state == "not_due" and not later.deliveries
    assert server.received.data_commands == 2  # each contact's content once, never again
    with db.session() as s:
        assert {d.state for d in s.scalars(select(PressDelivery))} == {"uncertain"}
        assert {b.state for b in s.scalars(select(PressBulletin))} == {"done"}


def test_server_down_then_back_sends_once(sqlite_db: Database) -> None:
    office_week(sqlite_db)
    port = free_port()
    down = run_bulletin(sqlite_db, options(port), force=True)
    assert sorted(down.deliveries["failed"]) == sorted(c.email for c in CONTACTS)
    with SmtpServer(port) as server:
        retried = run_bulletin(sqlite_db, options(port))
        again = run_bulletin(sqlite_db, options(port))
    assert retried.state == "retried" and len(retried.deliveries["sent"]) == 2
    assert not again.deliveries
    assert len(server.received.messages) == 2
    with sqlite_db.session() as s:
        assert {d.attempts for d in s.scalars(select(PressDelivery))} == {2}


def test_two_processes_at_once_send_each_message_once(db: Database) -> None:
    """The service's job and `press-monitor bulletin` retrying the same deliveries together."""
    from concurrent.futures import ThreadPoolExecutor

    office_week(db)
    port = free_port()
    assert "failed" in run_bulletin(db, options(port), force=True).deliveries  # server down
    with SmtpServer(port) as server, ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: run_bulletin(db, options(port)), range(2)))
    sent = sorted(e for run in runs for e in run.deliveries.get("sent", []))
    assert sent == sorted(c.email for c in CONTACTS)
    assert len(server.received.messages) == 2


def test_outbox_without_smtp(sqlite_db: Database, tmp_path: Path) -> None:
    office_week(sqlite_db)
    outcome = run_bulletin(sqlite_db, options(None, tmp_path / "outbox"), force=True)
    assert len(outcome.deliveries["sent"]) == 2
    assert len(list((tmp_path / "outbox").glob("bulletin-*.eml"))) == 2


def test_entries_grouped_by_locality_when_there_are_several() -> None:
    now = utcnow()
    entries = [
        Entry("Sa Loong", now, "Thông tin B"),
        Entry("Bờ Y", now - timedelta(hours=1), "Thông tin A"),
        Entry("Sa Loong", now - timedelta(hours=2), "Thông tin C"),
    ]
    groups = group_by_locality(entries)
    assert [(k, [e.text for e in v]) for k, v in groups] == [
        ("Bờ Y", ["Thông tin A"]),
        ("Sa Loong", ["Thông tin C", "Thông tin B"]),
    ]
    opts = options(None)
    _, text, html = render_bulletin(BulletinView(now, now, groups, opts))
    assert "=== Địa bàn: Bờ Y ===" in text and "<h2>Địa bàn: Sa Loong</h2>" in html
    _, one, _ = render_bulletin(BulletinView(now, now, group_by_locality(entries[:1]), opts))
    assert "Địa bàn:" not in one  # one locality: no heading


@pytest.mark.slow
def test_killed_mid_send_is_not_resent_by_the_cli(tmp_path: Path) -> None:
    """SIGKILL while the server holds the first contact's message without answering: the
    next `press-monitor bulletin` sends the second contact theirs and never the first again."""
    from click.testing import CliRunner

    from monitor.cli import cli
    from tests.helpers import start

    db_file = tmp_path / "pm.db"
    db = Database(f"sqlite:///{db_file}")
    office_week(db)
    db.dispose()
    port = free_port()
    config = write_config(
        tmp_path / "config.yaml",
        database_url=f"sqlite:///{db_file}",
        outbox=str(tmp_path / "outbox"),
        smtp={
            "host": "127.0.0.1",
            "port": port,
            "tls": "none",
            "sender": "vanphong@example.invalid",
            "timeout_seconds": 30,
        },
        press_contacts=[
            {"newsroom": c.newsroom, "email": c.email, "opt_in": True} for c in CONTACTS
        ]
        + [{"newsroom": "Báo chưa đăng ký", "email": "khong@example.invalid", "opt_in": False}],
        bulletin={"unsubscribe": UNSUBSCRIBE},
    )
    with SmtpServer(port) as server:
        dry = CliRunner().invoke(cli, ["--config", str(config), "bulletin", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "dry run: 3 entries, to 2 contacts" in dry.output and "khong@" not in dry.output
        assert "Lịch cắt điện ngày 15/7" in dry.output
        assert server.received.data_commands == 0
        server.faults.stall_after_data = 30
        process = start(config, "bulletin")
        wait_for(lambda: server.received.data_commands == 1)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        server.faults.stall_after_data = 0
        again = CliRunner().invoke(cli, ["--config", str(config), "bulletin"])  # the next run
    assert again.exit_code == 1, again.output  # one delivery is uncertain
    assert "uncertain: " + CONTACTS[0].email in again.output
    assert "sent: " + CONTACTS[1].email in again.output
    assert server.received.data_commands == 2
    assert [r for _, rcpts in server.received.envelopes for r in rcpts] == [CONTACTS[1].email]
    db = Database(f"sqlite:///{db_file}")
    with db.session() as s:
        states = {d.email: d.state for d in s.scalars(select(PressDelivery))}
        notes = s.scalars(select(PressNote)).all()
    db.dispose()
    assert states == {CONTACTS[0].email: "uncertain", CONTACTS[1].email: "sent"}
    assert notes  # the scenario was there


def test_press_contacts_in_config(tmp_path: Path) -> None:
    from monitor.config import ConfigError, load_config
    from monitor.wiring import bulletin_options

    def problems(**overrides: object) -> list[tuple[str, str]]:
        with pytest.raises(ConfigError) as info:
            load_config(write_config(tmp_path / "config.yaml", **overrides))
        return info.value.problems

    good = {"newsroom": "Báo Quảng Ngãi", "email": "toasoan@example.invalid", "opt_in": True}
    assert problems(press_contacts=[{**good, "email": "not-an-address"}])[0][0] == (
        "press_contacts[0].email"
    )
    assert problems(press_contacts=[{**good, "newsroom": "Báo\r\nBcc: x@y"}])[0][0] == (
        "press_contacts[0].newsroom"
    )
    assert problems(press_contacts=[{k: v for k, v in good.items() if k != "opt_in"}])[0][0] == (
        "press_contacts[0].opt_in"
    )
    assert "bulletin.unsubscribe" in problems(press_contacts=[good])[0][1]
    (key, why), *_ = problems(bulletin={"schedule": "0 8 * * 8"})
    assert key == "bulletin.schedule" and "0 and 7 are Sunday" in why
    config = load_config(
        write_config(
            tmp_path / "config.yaml",
            press_contacts=[good, {**good, "email": "da-huy@example.invalid", "opt_in": False}],
            bulletin={"unsubscribe": UNSUBSCRIBE, "schedule": "0 9 * * fri"},
        )
    )
    options = bulletin_options(config, tmp_path)
    assert [c.email for c in options.contacts] == ["toasoan@example.invalid"]
    assert (options.schedule, options.unsubscribe) == ("0 9 * * fri", UNSUBSCRIBE)

    from monitor.service import Service

    config = config.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'pm.db'}"})
    service = Service(tmp_path / "config.yaml", config)
    trigger, _work, _args, what = service._desired_jobs()["bulletin"]
    assert what == "press bulletin at 0 9 * * fri"
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 29, tzinfo=UTC))
    assert fire.strftime("%A %H:%M %z") == "Friday 09:00 +0700"
    service.db.dispose()
    nobody = config.model_copy(update={"press_contacts": []})
    assert "bulletin" not in Service(tmp_path / "config.yaml", nobody)._desired_jobs()


def test_clarifications_are_listed_under_their_alerts_localities(db: Database) -> None:
    from alerts.bulletin import period_entries
    from storage.localities import record_alert_localities

    bo_y = flagged_item(db, 1, title="Tin đồn mất điện cả tuần ở Bờ Y")
    sa_loong = flagged_item(db, 2, title="Tin đồn vỡ đập ở Sa Loong")
    for alert_id, key in ((bo_y, "bo-y"), (sa_loong, "sa-loong")):
        verdict(db, alert_id, "verified_false", "Không đúng sự thật.")
        publish(db, alert_id, days_ago=1)
        with db.session() as s:
            record_alert_localities(s, alert_id, [key])
    names = (("bo-y", "Bờ Y"), ("sa-loong", "Sa Loong"))
    with db.session() as s:
        entries = period_entries(s, utcnow() - timedelta(days=7), utcnow(), "Tỉnh", names)
    assert sorted((e.locality, e.claim) for e in entries) == [
        ("Bờ Y", "Tin đồn mất điện cả tuần ở Bờ Y"),
        ("Sa Loong", "Tin đồn vỡ đập ở Sa Loong"),
    ]
