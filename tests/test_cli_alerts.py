"""The analysts' command line: list, show, claim, verdict, export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from alerts.stories import group_items
from nlp.normalize import fold
from storage.db import Database
from tests.factories import flagged_item
from tests.helpers import ROOT, run_cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    db = Database(url)
    flagged_item(db, n=1, title="Tin đồn cắt điện ở huyện Ngọc Hồi", score=6.0)
    flagged_item(db, n=2, title="Lừa đảo trúng thưởng ở huyện Ngọc Hồi", score=4.0)
    with db.session() as session:
        group_items(session, fold)
    db.dispose()
    return {"PRESS_MONITOR_DATABASE_URL": url, "PRESS_MONITOR_CONFIG": str(ROOT / "config.yaml")}


def cli(env: dict[str, str], tmp_path: Path, *args: str):
    return run_cli(*args, cwd=tmp_path, env=env)


def test_list_show_claim_verdict_export(env: dict[str, str], tmp_path: Path) -> None:
    listed = cli(env, tmp_path, "alerts", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("#1 ") and "Tin đồn cắt điện" in lines[0]
    assert "#2 " in lines[1]

    shown = cli(env, tmp_path, "alerts", "show", "1")
    assert "»tin đồn«" in shown.stdout and "»huyện Ngọc Hồi«" in shown.stdout
    assert "Story #" in shown.stdout and "system: - -> new" in shown.stdout

    claimed = cli(env, tmp_path, "alerts", "claim", "--actor", "lan")
    assert claimed.stdout.strip() == "claimed: #1"

    bad = cli(env, tmp_path, "alerts", "verdict", "2", "verified_true", "--clarification", "x")
    assert bad.returncode == 1 and "clarification belongs to" in bad.stderr
    assert "Traceback" not in bad.stderr

    ok = cli(
        env,
        tmp_path,
        "alerts",
        "verdict",
        "1",
        "verified_false",
        "--actor",
        "lan",
        "--note",
        "Điện lực xác nhận không cắt điện",
        "--clarification",
        "Không có kế hoạch cắt điện 3 ngày.",
        "--link",
        "https://example.invalid/dinh-chinh",
    )
    assert ok.returncode == 0 and "now verified_false" in ok.stdout
    again = cli(env, tmp_path, "alerts", "verdict", "1", "dismissed")
    assert again.returncode == 1 and "can move to in_review" in again.stderr

    only_false = cli(env, tmp_path, "alerts", "list", "--status", "verified_false", "--json")
    (row,) = [json.loads(line) for line in only_false.stdout.splitlines()]
    assert row["id"] == 1

    jsonl = cli(env, tmp_path, "alerts", "export")
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["alert_id"] for r in rows] == [1, 2]
    assert rows[0]["clarification"] == "Không có kế hoạch cắt điện 3 ngày."
    assert "lan" not in jsonl.stdout  # no analyst names

    out = tmp_path / "alerts.csv"
    cli(env, tmp_path, "alerts", "export", "--format", "csv", "--output", str(out))
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert table[0]["status"] == "verified_false" and table[1]["status"] == "new"
    assert table[0]["localities"] == "Huyện Ngọc Hồi, Tỉnh Kon Tum"
