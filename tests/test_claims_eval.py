"""The evaluation gate: the shipped rules on the labelled dev set, against floors in a file.

tests/data/claims/ holds cases written by the team in its own words from real public reports
(each row keeps its source address); floors.json holds the minimum figures. A change to the
rules, the scoring or the matching that makes them fall fails this test, as a failing unit
test would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.evaluate import below_floors, evaluate, format_report, read_cases
from monitor.wiring import ruleset
from nlp.analyzer import Analyzer
from tests.helpers import ROOT, run_cli

CLAIMS = ROOT / "tests" / "data" / "claims"
FLOORS = CLAIMS / "floors.json"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(ruleset(load_config(ROOT / "config.yaml")))


def test_dev_set_is_large_labelled_and_sourced() -> None:
    cases = read_cases([CLAIMS])
    assert len(cases) >= 300
    rows = [json.loads(line) for f in CLAIMS.glob("*.jsonl") for line in f.open(encoding="utf-8")]
    assert all(r["source_url"].startswith(("http://", "https://")) for r in rows)
    assert all(r["flag"] == (r["ours"] and r["claim"]) for r in rows)
    assert {r["register"] for r in rows} >= {"press", "social", "nodiacritics"}
    topics = {t for r in rows for t in r["topics"]}
    assert {"impersonation", "kidnapping", "doctored_media", "warning_genuine"} <= topics


def test_shipped_rules_stay_above_the_floors(analyzer: Analyzer) -> None:
    report = evaluate(analyzer, read_cases([CLAIMS]))
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))
    failures = below_floors(report, floors)
    assert not failures, "\n".join(failures) + "\n\n" + format_report(report)


def test_eval_cli_reports_and_fails_below_a_floor(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    rows = [
        {
            "id": "scam-here",
            "text": "Bà H. ở thị trấn Plei Kần bị kẻ giả danh công an lừa chuyển 40 triệu đồng.",
            "ours": True,
            "claim": True,
            "flag": True,
            "topics": ["impersonation"],
        },
        {
            "id": "festival",
            "text": "Xã Bờ Y tổ chức lễ hội cồng chiêng mừng mùa lúa mới.",
            "ours": True,
            "claim": False,
            "flag": False,
            "topics": ["news"],
        },
        {
            "id": "missed",
            "text": "Ở Plei Kần có chuyện lạ, ai biết chỉ với.",
            "ours": True,
            "claim": True,
            "flag": True,
            "topics": ["rumour"],
        },
    ]
    cases.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"flag_recall": 0.9, "locality_f1": 0.9}), "utf-8")

    result = run_cli("eval", str(cases), "--floors", str(floors), cwd=ROOT)
    assert result.returncode == 1, result.stderr
    assert "flag      precision 1.000  recall 0.500" in result.stdout
    assert "missed: missed flag" in result.stdout
    assert "below floor: flag_recall: 0.500 is below the floor 0.900" in result.stderr

    as_json = json.loads(run_cli("eval", str(cases), "--json", cwd=ROOT).stdout)
    assert as_json["topics"]["impersonation"]["recall"] == 1.0
    assert as_json["rules"]["pretend_official_role"] == {"hits": 1, "on_negatives": 0}


def test_eval_cli_names_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "x", "ours": true, "flag": false}\n{"id": 2,\n', "utf-8")
    result = run_cli("eval", str(bad), cwd=ROOT)
    assert result.returncode == 1
    assert f"{bad}:2: not a labelled row" in result.stderr
    assert "Traceback" not in result.stderr
