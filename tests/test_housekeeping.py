"""One instance per database, retention, and structured logs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.fixture_server import FixtureServer
from monitor.instance import AlreadyRunning, InstanceLock
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Item, utcnow
from storage.retention import plan_purge, purge
from storage.sources import SourceSpec, sync_sources
from tests.factories import flagged_item
from tests.helpers import missing_source_config, run_cli, write_config


def test_instance_lock_on_both_databases(db: Database) -> None:
    other = Database(db.url)
    with InstanceLock(db), pytest.raises(AlreadyRunning, match="another press-monitor"):
        InstanceLock(other).acquire()
    other.dispose()

    with InstanceLock(db):  # released: it can be taken again
        pass


def test_retention_purges_old_items_without_alerts(db: Database) -> None:
    alert_id = flagged_item(db, n=1)
    with db.session() as session:
        sid = sync_sources(session, [SourceSpec("bao", "feed", "http://127.0.0.1/b")])["bao"]
        for n in (2, 3):
            url = f"http://127.0.0.1/old/{n}"
            upsert_item(
                session, ItemData(sid, url, url, f"Bài cũ {n}", "Nội dung cũ", author="Tác giả")
            )
    with db.session() as session:
        for item in session.scalars(select(Item)):
            item.fetched_at = utcnow() - timedelta(days=400)
    before = utcnow() - timedelta(days=180)
    with db.session() as session:
        plan = plan_purge(session, before)
        assert plan.items == 2  # the alert's item is kept
    with db.session() as session:
        assert purge(session, before) == 2
        assert purge(session, before) == 0
    with db.session() as session:
        rows = {
            i.title: (i.text, i.author, i.purged, i.alert) for i in session.scalars(select(Item))
        }
    assert rows["Bài cũ 2"][:3] == ("", None, True)
    (kept,) = [r for r in rows.values() if r[3] is not None]
    assert kept[3].id == alert_id and kept[0] and not kept[2]


def test_purge_dry_run_and_json_logs(tmp_path: Path) -> None:
    with FixtureServer(tmp_path / "empty") as server:
        config = missing_source_config(tmp_path, server.base_url)
        collected = run_cli(
            "--config", str(config), "--log-format", "json", "collect", cwd=tmp_path
        )
    assert collected.returncode == 0, collected.stderr
    records = [json.loads(line) for line in collected.stderr.splitlines() if line.startswith("{")]
    (warning,) = [r for r in records if r.get("source") == "gone"]
    assert warning["level"] == "warning" and "HTTP 404" in warning["message"]
    assert isinstance(warning["run"], int)
    datetime.fromisoformat(warning["time"])

    dry = run_cli("--config", str(config), "purge", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0 and "would purge 0 items" in dry.stdout


def test_purge_dry_run_counts_exactly_what_purge_then_does(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pm.db'}"
    db = Database(url)
    kept_alerts = {flagged_item(db, n=n) for n in (1, 2)}  # old, but with alerts
    with db.session() as session:
        sid = sync_sources(session, [SourceSpec("bao", "feed", "http://127.0.0.1/b")])["bao"]
        for name in ("cu-3", "cu-4", "cu-5", "moi-6"):
            link = f"http://127.0.0.1/bai/{name}"
            upsert_item(session, ItemData(sid, link, link, name, f"Nội dung {name}", author="A"))
    ages = {"cu-3": 400, "cu-4": 200, "cu-5": 181, "moi-6": 10}
    with db.session() as session:
        for item in session.scalars(select(Item)):
            item.fetched_at = utcnow() - timedelta(days=ages.get(item.title, 500))
    config = tmp_path / "config.yaml"
    write_config(config, database_url=url, retention_days=180)

    def snapshot() -> dict[str, tuple[bool, str]]:
        with db.session() as session:
            return {i.canonical_url: (i.purged, i.text) for i in session.scalars(select(Item))}

    before = snapshot()
    dry = run_cli("--config", str(config), "purge", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    oldest = (utcnow() - timedelta(days=400)).strftime("%Y-%m-%d")
    assert "would purge 3 items" in dry.stdout and f"the oldest fetched {oldest}" in dry.stdout
    assert snapshot() == before  # a dry run changes nothing

    done = run_cli("--config", str(config), "purge", cwd=tmp_path)
    assert done.returncode == 0 and "purged the text of 3 items" in done.stdout, done.stdout
    after = snapshot()
    purged = {u for u, (flag, text) in after.items() if flag}
    assert purged == {f"http://127.0.0.1/bai/{n}" for n in ("cu-3", "cu-4", "cu-5")}
    assert all(after[u][1] == "" for u in purged)
    with db.session() as session:
        alert_items = session.scalars(select(Item).join(Item.alert)).all()
        assert {i.alert.id for i in alert_items} == kept_alerts
        assert all(i.text and not i.purged for i in alert_items)
    assert after["http://127.0.0.1/bai/moi-6"] == (False, "Nội dung moi-6")
    db.dispose()
