"""Per-rule precision from the analysts' verdicts: `press-monitor rules report`."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from alerts.queue import Verdict, change_status
from alerts.rule_report import rule_verdicts
from monitor.analysis import analyze
from monitor.config import load_config
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Alert, Item
from storage.sources import SourceSpec, sync_sources
from tests.helpers import run_cli, write_config

POSTS = {
    # three flagged for a dam-break rumour; analysts find two false, dismiss one
    "dam-1": "Tin đồn vỡ đập thủy điện ở xã Dục Nông lan truyền, bà con hoang mang bỏ chạy.",
    "dam-2": "Xôn xao tin vỡ đập ở Sa Loong, nhiều người chia sẻ clip nước tràn.",
    "dam-3": "Nghe nói đập ở Bờ Y sắp vỡ, mọi người chia sẻ gấp cho bà con.",
    # one impersonation scam, verified true (it happened)
    "scam": "Đối tượng giả danh cán bộ công an xã Bờ Y yêu cầu bà H. chuyển tiền vào tài khoản.",
}
VERDICTS = {"dam-1": "verified_false", "dam-2": "misleading", "dam-3": "dismissed"}


def seed_and_review(db: Database, config_path: Path) -> None:
    with db.session() as session:
        sid = sync_sources(
            session, [SourceSpec("mxh", "feed", "http://127.0.0.1/f", True, "social")]
        )
    with db.session() as session:
        for key, text in POSTS.items():
            url = f"http://127.0.0.1/{key}"
            upsert_item(session, ItemData(sid["mxh"], url, url, "", text))
    analyze(db, load_config(config_path))
    with db.session() as session:
        alerts = {
            item.canonical_url.rsplit("/", 1)[1]: alert_id
            for alert_id, item in session.execute(select(Alert.id, Item).join(Item))
        }
    assert set(alerts) == set(POSTS), alerts
    statuses = {**VERDICTS, "scam": "verified_true"}
    with db.session() as session:
        for key, status in statuses.items():
            change_status(session, alerts[key], Verdict(status, "lan"))


def test_rule_precision_comes_from_verdicts(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'pm.db'}"
    config = write_config(tmp_path / "config.yaml", database_url=db_url)
    db = Database(db_url)
    seed_and_review(db, config)
    with db.session() as session:
        rows = {row.rule: row for row in rule_verdicts(session)}
    dam = rows["dam_break_rumour"]
    assert (dam.alerts, dam.verified_false, dam.misleading, dam.dismissed) == (3, 1, 1, 1)
    assert abs(dam.precision - 2 / 3) < 1e-9 and not dam.mostly_dismissed
    assert rows["pretend_official_money"].verified_true == 1
    assert rows["pretend_official_money"].precision == 1.0
    db.dispose()

    result = run_cli("--config", str(config), "rules", "report", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    by_rule = {row["rule"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert by_rule["dam_break_rumour"]["precision"] == 0.667
    table = run_cli("--config", str(config), "rules", "report", cwd=tmp_path).stdout
    assert table.splitlines()[0].split()[:2] == ["rule", "alerts"]
    assert "dam_break_rumour" in table


def test_mostly_dismissed_rules_stand_out(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'pm.db'}"
    config = write_config(tmp_path / "config.yaml", database_url=db_url)
    db = Database(db_url)
    seed_and_review(db, config)
    with db.session() as session:
        for alert in session.scalars(select(Alert).where(Alert.status != "dismissed")):
            change_status(session, alert.id, Verdict("in_review", "lan"))
            change_status(session, alert.id, Verdict("dismissed", "lan"))
    db.dispose()
    table = run_cli("--config", str(config), "rules", "report", cwd=tmp_path).stdout
    line = next(row for row in table.splitlines() if row.startswith("dam_break_rumour"))
    assert line.endswith("<- mostly dismissed") and " 0.00" in line


def test_overview_page_shows_rule_precision(tmp_path: Path) -> None:
    from alerts.accounts import add_user
    from nlp.normalize import fold
    from tests.web_client import Client, serving
    from web.app import WebOptions, create_app

    db_url = f"sqlite:///{tmp_path / 'pm.db'}"
    config = write_config(tmp_path / "config.yaml", database_url=db_url)
    db = Database(db_url)
    seed_and_review(db, config)
    with db.session() as session:
        add_user(session, "lan", "mat-khau-du-dai", "Nguyễn Thị Lan")
    with serving(create_app(db, WebOptions(secret_key="k", fold=fold))) as base:
        client = Client(base)
        assert client.login("lan", "mat-khau-du-dai").status == 302
        page = client.get("/overview")
    assert page.status == 200
    table = page.body.split('<table id="rules">', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr") if "dam_break_rumour" in r)
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells[1:] == ["3", "0", "0", "1", "1", "1", "67%"]
