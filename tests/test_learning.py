"""Learning from verdicts: `learn` on the dev set, its refusals, the probability where
analysts see it, and the model flagging only when allowed."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from alerts.accounts import add_user
from alerts.delivery import SmtpOptions
from alerts.digest import DigestOptions, run_digest
from alerts.export import export_rows
from alerts.queue import Verdict, change_status, claim_next
from alerts.scores import format_probability
from alerts.views import alert_detail, queue_page
from monitor.analysis import analyze
from monitor.cli import cli
from monitor.config import ConfigError, load_config
from monitor.evaluate import read_cases
from monitor.learning import LearningOptions, examples, learn, model_in_force, store
from monitor.service import Service
from monitor.wiring import ruleset
from nlp.analyzer import Analyzer
from nlp.claim_vectors import claim_text
from nlp.learned import Figures, LearnedModel, ModelFormatError, Policy
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Alert, Analysis, LearnedModelRecord
from storage.sources import SourceSpec, sync_sources
from tests.factories import flagged_item
from tests.helpers import ROOT, run_cli, write_config
from tests.smtp_server import SmtpServer, free_port
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

DEV_SET = ROOT / "tests" / "data" / "claims"
PRESS = DEV_SET / "press.jsonl"
PASSWORD = "mat-khau-du-dai"
URL = "http://127.0.0.1/bai/1.html"
TAIL = " Người dân chia sẻ tin đồn ở huyện Ngọc Hồi."  # what flagged_item marks as matches


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_rows(path: Path, data: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), "utf-8")
    return path


def relabelled(path: Path, fraction: float, seed: int) -> Path:
    """The press dev set with its labels shuffled (fraction >= 1) or a fraction flipped."""
    data = rows(PRESS)
    rng = random.Random(seed)
    if fraction >= 1:
        flags = [r["flag"] for r in data]
        rng.shuffle(flags)
        for r, flag in zip(data, flags, strict=True):
            r["flag"] = flag
    else:
        for i in rng.sample(range(len(data)), int(fraction * len(data))):
            data[i]["flag"] = not data[i]["flag"]
    return write_rows(path, data)


def small_seed(tmp_path: Path) -> Path:
    """The first 30 press examples (12 to answer): quick to learn, far better than chance."""
    return write_rows(tmp_path / "small.jsonl", rows(PRESS)[:30])


def figures_line(output: str) -> str:
    (line,) = [x for x in output.splitlines() if x.startswith("cross-validated")]
    return line


@pytest.mark.slow
def test_learn_on_the_dev_set_then_refuse_a_worse_model_unless_forced(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        database_url=f"sqlite:///{tmp_path / 'pm.db'}",
        outbox=str(tmp_path / "outbox"),
        learning={"schedule": None},
    )
    first = run_cli("--config", str(config), "learn", "--seed", str(DEV_SET), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "examples: 378 (verdicts: 0, seed examples: 378)" in first.stdout
    assert "stored model version 1" in first.stdout
    db = Database(f"sqlite:///{tmp_path / 'pm.db'}")
    try:
        with db.session() as session:
            (record,) = session.scalars(select(LearnedModelRecord)).all()
            stored = (record.cv_precision, record.cv_recall, record.cv_average_precision)
            assert (record.verdicts, record.seed_examples, record.folds) == (0, 378, 5)
            assert not record.forced
        assert f"precision {stored[0]:.3f}  recall {stored[1]:.3f}" in figures_line(first.stdout)
        assert stored[2] > 139 / 378 + 0.3  # far above what a random ranking gets

        # press examples with 15% of labels flipped: better than chance, clearly worse
        noisy = relabelled(tmp_path / "noisy.jsonl", 0.15, seed=4)
        runner = CliRunner()
        learn_noisy = ["--config", str(config), "learn", "--seed", str(noisy)]
        worse = runner.invoke(cli, learn_noisy)
        assert worse.exit_code == 1, worse.output
        assert "refused: worse than the current model" in worse.stderr
        assert "use --force" in worse.stderr
        assert "average precision" in figures_line(worse.stdout)
        forced = runner.invoke(cli, [*learn_noisy, "--force"])
        assert forced.exit_code == 0, forced.output
        assert "stored model version 2" in forced.stdout and "replacing version 1" in forced.stdout
        with db.session() as session:
            versions = session.scalars(
                select(LearnedModelRecord).order_by(LearnedModelRecord.id)
            ).all()
            assert [v.forced for v in versions] == [False, True]
    finally:
        db.dispose()


def test_a_model_trained_on_shuffled_labels_is_refused(sqlite_db: Database, tmp_path: Path):
    shuffled = relabelled(tmp_path / "shuffled.jsonl", 1, seed=0)
    # refused even with --force, which overrides "worse", never "chance"
    outcome = learn(sqlite_db, LearningOptions(seeds=(shuffled,)), force=True)
    assert outcome.refused is not None and outcome.refused[0] == "chance", outcome
    assert "no better than chance" in outcome.refused[1]
    assert outcome.figures is not None and outcome.figures.examples == 175
    with sqlite_db.session() as session:
        assert session.scalars(select(LearnedModelRecord)).all() == []


def test_verdicts_are_labels_and_open_alerts_are_not(db: Database) -> None:
    statuses = {
        "một": "verified_false",
        "hai": "misleading",
        "ba": "verified_true",
        "tư": "dismissed",
        "năm": "new",
    }
    for n, (word, status) in enumerate(statuses.items(), 1):
        text = f"Bài thứ {word} nói về tin đồn ở huyện Ngọc Hồi."
        alert_id = flagged_item(db, n=n, text=text)
        if status != "new":
            with db.session() as session:
                change_status(session, alert_id, Verdict(status, "lan"))
    with db.session() as session:
        labelled, verdicts, seeds = examples(session, ())
    assert (verdicts, seeds) == (4, 0)
    by_word = {text.split(" thu ")[1].split()[0]: label for text, label in labelled.items()}
    assert by_word == {"mot": True, "hai": True, "ba": False, "tu": False}


def test_stored_model_is_arrays_only(tmp_path: Path) -> None:
    cases = read_cases([PRESS])[:40]
    model = LearnedModel.fit([c.text for c in cases], [c.flag for c in cases])
    again = LearnedModel.from_bytes(model.to_bytes())
    assert again.version == model.version
    assert again.probabilities([cases[0].text]) == pytest.approx(
        model.probabilities([cases[0].text])
    )
    buffer = io.BytesIO()
    np.savez(buffer, **{**model.arrays, "coef": np.array([object()], dtype=object)})
    with pytest.raises(ModelFormatError):
        LearnedModel.from_bytes(buffer.getvalue())


def _press_cases() -> tuple[dict, dict]:
    data = rows(PRESS)[:30]
    positive = next(r for r in data if r["flag"] and r["title"])
    negative = next(r for r in data if not r["flag"] and r["title"])
    return positive, negative


@pytest.fixture
def two_alerts(db: Database, tmp_path: Path) -> tuple[Database, int, int]:
    """A claim the office would answer with a low rule score, and one it would not with a
    high score; then a model learned from press examples."""
    positive, negative = _press_cases()
    wanted = flagged_item(db, 1, positive["title"], positive["text"] + TAIL, score=3.5)
    unwanted = flagged_item(db, 2, negative["title"], negative["text"] + TAIL, score=6.0)
    outcome = learn(db, LearningOptions(seeds=(small_seed(tmp_path),)))
    assert outcome.version is not None and outcome.rescored == 2, outcome
    return db, wanted, unwanted


def _probabilities(db: Database) -> dict[int, float]:
    """The model's probability by alert id."""
    with db.session() as session:
        query = select(Alert.id, Analysis.learned_probability).join(
            Analysis, Analysis.item_id == Alert.item_id
        )
        return {alert_id: p for alert_id, p in session.execute(query)}


def test_probability_on_the_review_page_and_the_queue_order(two_alerts) -> None:
    db, wanted, unwanted = two_alerts
    with db.session() as session:
        add_user(session, "lan", PASSWORD, "Nguyễn Thị Lan")
    p = _probabilities(db)
    assert p[wanted] > p[unwanted], "precondition: the model prefers the claim answered"
    app = create_app(db, WebOptions(secret_key="test-secret", base_url=None))
    with serving(app) as base:
        client = Client(base)
        assert client.login("lan", PASSWORD).status == 302
        page = client.get(f"/alerts/{wanted}")
        assert page.status == 200
        assert f"Ý kiến mô hình: {format_probability(p[wanted])}" in page.body
        assert (
            f'Điểm: 3.5 · <span id="learned">Ý kiến mô hình: {format_probability(p[wanted])}'
            in (page.body)
        )
        queue = client.get("/")
        assert queue.body.index(f"/alerts/{wanted}") < queue.body.index(f"/alerts/{unwanted}")
        by_score = client.get("/?sort=score")
        assert by_score.body.index(f"/alerts/{unwanted}") < by_score.body.index(f"/alerts/{wanted}")
    assert [r["id"] for r in queue_page(db).rows] == [wanted, unwanted]
    exported = {r["alert_id"]: r["learned_probability"] for r in export_rows(db)}
    assert exported == {wanted: round(p[wanted], 3), unwanted: round(p[unwanted], 3)}
    assert f"model: {format_probability(p[wanted])}" in (alert_detail(db, wanted) or "")
    with db.session() as session:
        assert claim_next(session, "lan") == [wanted]


def test_probability_in_the_digest_received_by_smtp(two_alerts) -> None:
    db, wanted, unwanted = two_alerts
    p = _probabilities(db)
    port = free_port()
    smtp = SmtpOptions(
        host="127.0.0.1", port=port, tls="none", sender="pm@example.invalid", timeout=5
    )
    options = DigestOptions(recipients=["phong@example.invalid"], smtp=smtp)
    with SmtpServer(port) as server:
        assert run_digest(db, options).state == "sent"
    (message,) = server.received.messages
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        for alert_id in (wanted, unwanted):
            assert f"Ý kiến mô hình: {format_probability(p[alert_id])}" in body, part


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(ruleset(load_config(ROOT / "config.yaml")))


@pytest.fixture(scope="module")
def dev_model() -> LearnedModel:
    cases = read_cases([DEV_SET])
    return LearnedModel.fit([claim_text(c.title, c.text) for c in cases], [c.flag for c in cases])


def store_model(db: Database, model: LearnedModel) -> None:
    """A model as `learn` stores it (its figures do not matter here)."""
    figures = Figures(378, 139, 5, 0.7, 0.7, 0.7, 0.8)
    with db.session() as session:
        store(session, model, figures, verdicts=0, seeds=378)


def _missed_by_rules() -> dict:
    """A dev-set item about the locality that an analyst must see but the rules miss."""
    return next(r for r in rows(PRESS) if r["id"] == "press-health-010")


@pytest.mark.parametrize("may_flag", [False, True])
def test_the_model_flags_only_when_allowed(
    may_flag: bool, sqlite_db: Database, tmp_path: Path, analyzer: Analyzer, dev_model
) -> None:
    config = load_config(
        write_config(
            tmp_path / "config.yaml",
            database_url=sqlite_db.url,
            learning={"schedule": None, "may_flag": may_flag, "flag_threshold": 0.8},
        )
    )
    store_model(sqlite_db, dev_model)
    case = _missed_by_rules()
    with sqlite_db.session() as session:
        source_id = sync_sources(session, [SourceSpec("bao", "feed", "http://127.0.0.1/f")])["bao"]
        upsert_item(
            session,
            ItemData(
                source_id, "http://127.0.0.1/1", "http://127.0.0.1/1", case["title"], case["text"]
            ),
        )
    report = analyze(sqlite_db, config, analyzer=analyzer)
    with sqlite_db.session() as session:
        (row,) = session.scalars(select(Analysis)).all()
        assert row.localities and row.score < config.scoring.threshold, "rules must miss it"
        assert row.learned_probability >= 0.8, "precondition: the model is confident"
        assert row.learned_version == model_in_force(sqlite_db).version
        notes = " ".join(row.explanation["notes_vi"])
    assert row.flagged is may_flag and len(report.new_alerts) == int(may_flag)
    assert ("Mô hình học từ kết luận xác minh gắn cờ tin này" in notes) is may_flag


def test_service_retrains_on_its_schedule(tmp_path: Path) -> None:
    learning = {"schedule": "0 2 * * 0", "seeds": [str(small_seed(tmp_path))]}
    path = write_config(
        tmp_path / "config.yaml",
        database_url=f"sqlite:///{tmp_path / 'pm.db'}",
        learning=learning,
    )
    service = Service(path, load_config(path))
    try:
        trigger, work, _, description = service._desired_jobs()["learn"]
        assert description == "learning at 0 2 * * 0" and "day_of_week='sun'" in str(
            trigger
        )  # cron's 0: Sunday
        work()  # what the scheduler runs
        with service.db.session() as session:
            (record,) = session.scalars(select(LearnedModelRecord)).all()
            assert record.seed_examples == 30
    finally:
        service.db.dispose()
    off = write_config(
        tmp_path / "off.yaml",
        database_url=f"sqlite:///{tmp_path / 'off.db'}",
        learning={"schedule": None},
    )
    quiet = Service(off, load_config(off))
    try:
        assert "learn" not in quiet._desired_jobs()
    finally:
        quiet.db.dispose()


def test_bad_learning_config_is_refused_with_its_path(tmp_path: Path) -> None:
    for bad, key in (
        ({"flag_threshold": 2}, "learning.flag_threshold"),
        ({"schedule": "every sunday"}, "learning.schedule"),
        ({"may_flag_": True}, "learning.may_flag_"),
    ):
        path = write_config(tmp_path / "config.yaml", learning=bad)
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(path)


def test_policy_defaults_match_the_config() -> None:
    c = load_config(ROOT / "config.yaml").learning
    assert Policy() == Policy(c.folds, c.min_lift, c.tolerance)
