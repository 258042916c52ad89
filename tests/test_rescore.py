"""After ops change keyword lists, only affected items are analyzed again, and the alerts
that would appear or disappear are reported (with --dry-run: reported, nothing changed)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from monitor.analysis import analyze
from monitor.config import Config, KeywordList, load_config
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Alert, Analysis
from storage.sources import SourceSpec, sync_sources
from tests.helpers import ROOT, run_cli, write_config

ITEMS = [
    (
        "Người dân xã Bờ Y lo ngại hiện tượng mưa đá bất thường",
        "Chiều qua, mưa đá kèm gió lốc xuất hiện ở xã Bờ Y, tỉnh Quảng Ngãi; người dân đồn rằng "
        "sắp có bão lớn.",
    ),
    (
        "Cảnh giác ở thị trấn Plei Kần",
        "Cảnh giác lừa đảo chiếm đoạt tài sản ở thị trấn Plei Kần, huyện Ngọc Hồi.",
    ),
    ("Giá cà phê tăng ở xã Dục Nông", "Nông dân xã Dục Nông phấn khởi vì giá cà phê tăng."),
    ("Tin đồn ở Đà Lạt", "Không liên quan đến địa bàn."),
]


def seed(db: Database) -> None:
    with db.session() as session:
        sid = sync_sources(session, [SourceSpec("bao", "feed", "http://127.0.0.1/x")])["bao"]
    with db.session() as session:
        for n, (title, text) in enumerate(ITEMS):
            url = f"http://127.0.0.1/bai/{n}.html"
            upsert_item(session, ItemData(sid, url, url, title, text))


def with_keywords(config: Config, **changes: KeywordList | None) -> Config:
    keywords = dict(config.keywords)
    for category, value in changes.items():
        if value is None:
            keywords.pop(category)
        else:
            keywords[category] = value
    return config.model_copy(update={"keywords": keywords})


def count_alerts(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Alert))


def test_added_keyword_reanalyzes_only_what_it_can_affect(db: Database) -> None:
    seed(db)
    base = load_config(ROOT / "config.yaml")
    first = analyze(db, base)
    assert first.analyzed == 4 and count_alerts(db) == 1  # the Plei Kần scam

    disaster = base.keywords["disaster"]
    hail = KeywordList(weight=disaster.weight + 2.0, words=[*disaster.words, "mưa đá"])
    changed = with_keywords(base, disaster=hail)

    preview = analyze(db, changed, dry_run=True)
    assert [f.title for f in preview.appear] == [ITEMS[0][0]]
    assert count_alerts(db) == 1
    with db.session() as session:
        versions = set(session.scalars(select(Analysis.ruleset_version)))
    assert len(versions) == 1  # nothing was written

    applied = analyze(db, changed)
    assert applied.analyzed == 1 and applied.kept == 3
    assert len(applied.new_alerts) == 1 and count_alerts(db) == 2
    with db.session() as session:
        assert len(set(session.scalars(select(Analysis.ruleset_version)))) == 1


def test_removed_keyword_reports_disappearing_alert(db: Database) -> None:
    seed(db)
    base = load_config(ROOT / "config.yaml")
    analyze(db, base)
    scam = base.keywords["scam"]
    without = KeywordList(
        weight=scam.weight,
        words=[w for w in scam.words if w not in ("lừa đảo", "chiếm đoạt tài sản")],
    )
    report = analyze(db, with_keywords(base, scam=without), dry_run=True)
    (gone,) = report.disappear
    assert gone.title == ITEMS[1][0] and gone.alert_status == "new"
    assert report.analyzed == 1 and report.kept == 3


def test_cli_rescore_dry_run(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'pm.db'}"
    db = Database(db_url)
    seed(db)
    db.dispose()
    config = write_config(tmp_path / "config.yaml", database_url=db_url)
    assert run_cli("--config", str(config), "analyze", cwd=tmp_path).returncode == 0
    data = load_config(config).model_dump(mode="json")
    data["keywords"]["disaster"]["words"].append("mưa đá")
    data["keywords"]["disaster"]["weight"] = 3.0
    write_config(config, **data)
    result = run_cli("--config", str(config), "analyze", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "alerts that would be created: 1" in result.stdout
    assert "mưa đá bất thường" in result.stdout
