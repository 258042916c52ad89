"""What the office publishes is its own: frozen at publication, withdrawn with its verdict."""

from __future__ import annotations

from pathlib import Path

import feedparser
from sqlalchemy import select

from alerts.queue import Verdict, change_status, set_published
from alerts.views import published_clarifications
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Alert, AlertEvent, Item
from tests.factories import flagged_item
from tests.helpers import ROOT, run_cli
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

CLAIM = "Tin đồn cắt điện toàn huyện Ngọc Hồi"
EDITED = "Chủ tịch huyện nhận hối lộ (bài đã sửa sau khi đính chính)"
CLARIFICATION = "Không có việc cắt điện; lịch cắt điện do Điện lực công bố."


def publish(db: Database, alert_id: int) -> None:
    with db.session() as session:
        change_status(
            session, alert_id, Verdict("verified_false", "lan", "đã xác minh", CLARIFICATION)
        )
        set_published(session, alert_id, True, "lan")


def test_source_editing_its_entry_changes_nothing_published(db: Database) -> None:
    url = "http://127.0.0.1/bai/1.html"
    alert_id = flagged_item(db, title=CLAIM, url=url)
    publish(db, alert_id)

    with db.session() as session:  # the source rewrites its entry after publication
        source_id = session.scalar(select(Item.source_id))
        outcome = upsert_item(
            session, ItemData(source_id, url, url, EDITED, "Nội dung mới hoàn toàn khác.")
        )
    assert outcome == "updated"

    (published,) = published_clarifications(db)
    assert published["claim"] == CLAIM and published["url"] == url
    assert "xôn xao" in published["text"]
    app = create_app(db, WebOptions(secret_key="k", base_url="https://sotttt.example.invalid"))
    with serving(app) as base:
        html = Client(base).get("/clarifications").body
        atom = Client(base).get("/clarifications.atom").body
    assert CLAIM in html and EDITED not in html and "hối lộ" not in html
    (entry,) = feedparser.parse(atom.encode()).entries
    assert CLAIM in entry.title and "hối lộ" not in atom
    assert CLARIFICATION in entry.summary


def test_reopening_from_the_cli_unpublishes_in_the_same_change(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'pm.db'}"
    db = Database(url)
    alert_id = flagged_item(db, title=CLAIM)
    publish(db, alert_id)
    assert len(published_clarifications(db)) == 1
    env = {"PRESS_MONITOR_DATABASE_URL": url, "PRESS_MONITOR_CONFIG": str(ROOT / "config.yaml")}

    reopened = run_cli("alerts", "verdict", str(alert_id), "in_review", cwd=tmp_path, env=env)
    assert reopened.returncode == 0, reopened.stderr
    assert published_clarifications(db) == []
    with db.session() as session:
        alert = session.get_one(Alert, alert_id)
        assert alert.published_at is None and alert.published_title is None
        notes = [e.note for e in session.scalars(select(AlertEvent).order_by(AlertEvent.id))]
    assert notes[-1] is not None and "unpublished" in notes[-1]

    true = run_cli("alerts", "verdict", str(alert_id), "verified_true", cwd=tmp_path, env=env)
    assert true.returncode == 0, true.stderr
    assert published_clarifications(db) == []  # no "Đúng sự thật" beside the old text
    with db.session() as session:  # republishing needs a false/misleading verdict again
        try:
            set_published(session, alert_id, True, "lan")
        except ValueError as exc:
            assert "only a false or misleading" in str(exc)
        else:
            raise AssertionError("a verified_true alert was published")
    db.dispose()
