"""After ops change rules, only affected items are analyzed again, and the alerts that would
appear or disappear are reported (with --dry-run: reported, nothing changed).

Every kind of change is covered: keywords added and removed, regular expressions, queries,
scoring, the locality, a source's trust, and a new analyzer revision (code or underthesea
upgraded). The keyword tests run without the default pack, so that what they count is the
keyword mechanics alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from monitor.analysis import analyze
from monitor.config import Config, KeywordList, QueryRule, RegexRule, load_config
from nlp.rules import analyzer_revision
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Alert, Analysis, Item, RuleSetRecord, Source
from storage.sources import SourceSpec, sync_sources
from tests.helpers import ROOT, run_cli, write_config

ITEMS = [
    (
        "Người dân xã Bờ Y lo ngại mưa đá bất thường",
        "Chiều qua, mưa đá kèm gió lốc xuất hiện ở xã Bờ Y, tỉnh Quảng Ngãi, làm hỏng nhiều "
        "ruộng lúa.",
    ),
    (
        "Cảnh giác ở thị trấn Plei Kần",
        "Cảnh giác lừa đảo chiếm đoạt tài sản ở thị trấn Plei Kần, huyện Ngọc Hồi.",
    ),
    ("Giá cà phê tăng ở xã Dục Nông", "Nông dân xã Dục Nông phấn khởi vì giá cà phê tăng."),
    ("Tin đồn ở Đà Lạt", "Không liên quan đến địa bàn."),
]


def seed(db: Database, trust: str = "press") -> None:
    with db.session() as session:
        spec = SourceSpec("bao", "feed", "http://127.0.0.1/x", trust=trust)
        sid = sync_sources(session, [spec])["bao"]
    with db.session() as session:
        for n, (title, text) in enumerate(ITEMS):
            url = f"http://127.0.0.1/bai/{n}.html"
            upsert_item(session, ItemData(sid, url, url, title, text))


def keywords_only() -> Config:
    """The shipped config without the rule pack: only the keyword lists and patterns."""
    return load_config(ROOT / "config.yaml").model_copy(update={"rule_packs": []})


def with_keywords(config: Config, **changes: KeywordList | None) -> Config:
    keywords = dict(config.keywords)
    for category, value in changes.items():
        if value is None:
            keywords.pop(category)
        else:
            keywords[category] = value
    return config.model_copy(update={"keywords": keywords})


def changed(config: Config, **update: Any) -> Config:
    return config.model_copy(update=update)


def count_alerts(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Alert))


def test_added_keyword_reanalyzes_only_what_it_can_affect(db: Database) -> None:
    seed(db)
    base = keywords_only()
    first = analyze(db, base)
    assert first.analyzed == 4 and count_alerts(db) == 1  # the Plei Kần scam

    disaster = base.keywords["disaster"]
    hail = KeywordList(weight=disaster.weight + 2.0, words=[*disaster.words, "mưa đá"])
    edited = with_keywords(base, disaster=hail)

    preview = analyze(db, edited, dry_run=True)
    assert [f.title for f in preview.appear] == [ITEMS[0][0]]
    assert count_alerts(db) == 1
    with db.session() as session:
        versions = set(session.scalars(select(Analysis.ruleset_version)))
    assert len(versions) == 1  # nothing was written

    applied = analyze(db, edited)
    assert applied.analyzed == 1 and applied.kept == 3
    assert len(applied.new_alerts) == 1 and count_alerts(db) == 2
    with db.session() as session:
        assert len(set(session.scalars(select(Analysis.ruleset_version)))) == 1


def test_removed_keyword_reports_disappearing_alert(db: Database) -> None:
    seed(db)
    base = keywords_only()
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


def test_added_pattern_reanalyzes_only_matching_items(db: Database) -> None:
    seed(db)
    base = keywords_only()
    analyze(db, base)
    hail = RegexRule(name="hail", category="disaster", pattern=r"mua da\b", weight=3.0)
    report = analyze(db, changed(base, regex_rules=[*base.regex_rules, hail]))
    assert report.analyzed == 1 and report.kept == 3
    assert [f.title for f in report.appear] == [ITEMS[0][0]]


def test_added_query_reanalyzes_only_items_with_its_terms(db: Database) -> None:
    seed(db)
    base = keywords_only()
    analyze(db, base)
    rule = QueryRule(
        name="hail_storm", category="disaster", query='"mưa đá" NEAR/5 "gió lốc"', weight=3.0
    )
    report = analyze(db, changed(base, rules=[rule]))
    assert report.analyzed == 1 and report.kept == 3
    assert [f.title for f in report.appear] == [ITEMS[0][0]]
    with db.session() as session:
        matches = session.scalars(select(Analysis.matches)).all()
    assert any(m["rule"] == "hail_storm" for row in matches for m in row)


def test_scoring_change_reanalyzes_items_that_mention_the_locality(db: Database) -> None:
    seed(db)
    base = keywords_only()
    analyze(db, base)
    lower = base.scoring.model_copy(update={"threshold": 2.0})
    report = analyze(db, changed(base, scoring=lower), dry_run=True)
    assert report.analyzed == 3 and report.kept == 1  # the Đà Lạt item names no watched place


def test_locality_change_reanalyzes_everything(db: Database) -> None:
    seed(db)
    base = keywords_only()
    analyze(db, base)
    locality = base.locality.model_copy(
        update={"context_words": [*base.locality.context_words, "cà phê"]}
    )
    report = analyze(db, changed(base, locality=locality), dry_run=True)
    assert report.analyzed == 4 and report.kept == 0


def test_trust_change_reanalyzes_that_sources_items(db: Database) -> None:
    """Trust is not part of the rules, yet it changes every score of its source."""
    seed(db, trust="press")
    base = keywords_only()
    analyze(db, base)
    with db.session() as session:
        before = session.scalar(select(Alert.score))
    assert analyze(db, base).analyzed == 0  # nothing changed, nothing to do

    with db.session() as session:
        session.execute(update(Source).values(trust="official"))
    report = analyze(db, base)
    assert report.analyzed == 4 and report.kept == 0
    with db.session() as session:
        scam_score = session.scalar(
            select(Analysis.score).join(Item).where(Item.title == ITEMS[1][0])
        )
    assert scam_score == before * 0.5  # official trust halves the scam item's score


def test_new_analyzer_revision_reanalyzes_everything(db: Database) -> None:
    """Upgrading the code or underthesea must not leave results of the old code in place."""
    seed(db)
    base = keywords_only()
    analyze(db, base)
    with db.session() as session:
        record = session.scalars(select(RuleSetRecord)).one()
        assert record.spec["revision"] == analyzer_revision()
        older = {**record.spec, "revision": "older-code"}
        session.add(RuleSetRecord(version="made-by-older-code", spec=older))
        session.execute(update(Analysis).values(ruleset_version="made-by-older-code"))
    report = analyze(db, base)
    assert report.analyzed == 4 and report.kept == 0


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
