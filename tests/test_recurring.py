"""Claim matching through the analysis stage: reworded reposts of checked claims are linked
to them and near-misses are not; what a match does depends on the earlier verdict."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alerts.digest import DigestOptions, run_digest
from alerts.queue import Verdict, change_status, set_published
from alerts.views import published_clarifications
from monitor.analysis import analyze
from monitor.config import Config, ConfigError, load_config
from nlp.claim_index import ClaimIndex
from nlp.claim_vectors import claim_text
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Alert, AlertEvent, Analysis, ClaimMatch, Item
from storage.sources import SourceSpec, sync_sources
from tests import recurring_texts as T
from tests.helpers import ROOT, write_config

CLARIFICATION = "Công an xã Bờ Y không thu bất kỳ khoản phí cập nhật căn cước nào."
LINK = "https://boy.quangngai.gov.vn/dinh-chinh/phi-can-cuoc"


def config(**recurring: Any) -> Config:
    base = load_config(ROOT / "config.yaml")
    return base.model_copy(update={"recurring": base.recurring.model_copy(update=recurring)})


def store(db: Database, texts: dict[str, tuple[str, str]], source: str = "mxh") -> dict[str, int]:
    """Items from a social source; returns their ids by name."""
    with db.session() as session:
        spec = SourceSpec(source, "feed", "http://127.0.0.1/", trust="social")
        ids = sync_sources(session, [spec])
        for name, (title, text) in texts.items():
            url = f"http://127.0.0.1/{source}/{name}"
            upsert_item(session, ItemData(ids[source], url, url, title, text))
    with db.session() as session:
        return {
            name: session.scalar(select(Item.id).where(Item.url.endswith(f"/{name}")))
            for name in texts
        }


def alert_of(db: Database, item_id: int) -> Alert | None:
    with db.session() as session:
        return session.scalar(select(Alert).where(Alert.item_id == item_id))


def link_of(db: Database, item_id: int) -> ClaimMatch | None:
    with db.session() as session:
        return session.scalar(select(ClaimMatch).where(ClaimMatch.item_id == item_id))


def analysis_of(db: Database, item_id: int) -> Analysis:
    with db.session() as session:
        return session.scalars(select(Analysis).where(Analysis.item_id == item_id)).one()


def test_reworded_reposts_link_and_near_misses_do_not(db: Database, tmp_path: Path) -> None:
    earlier = store(
        db,
        {
            "fee": T.FEE_NOTICE,
            "dam": T.DAM_RUMOUR,
            "kidnap": T.KIDNAP_RUMOUR,
            "swine": T.SWINE_ARTICLE,
        },
    )
    settings = config(auto_verdict=True)
    analyze(db, settings)
    verdicts = {
        "fee": Verdict("verified_false", "lan", "đã xác minh", CLARIFICATION, LINK),
        "dam": Verdict("verified_false", "lan", "thủy điện vận hành bình thường"),
        "swine": Verdict("misleading", "lan", "chưa có ca lây sang người"),
        "kidnap": Verdict("dismissed", "lan", "không phải địa bàn quan tâm"),
    }
    alerts = {}
    for name, verdict in verdicts.items():
        alert = alert_of(db, earlier[name])
        assert alert is not None, name
        alerts[name] = alert.id
        with db.session() as session:
            change_status(session, alert.id, verdict)

    later = store(
        db,
        {
            "fee-repost": T.FEE_NOTICE_REPOST,
            "dam-unaccented": T.DAM_UNACCENTED,
            "kidnap-other-commune": T.KIDNAP_OTHER_COMMUNE,
            "swine-short-post": T.SWINE_SHORT_POST,
            "template-other-claim": T.TEMPLATE_OTHER_CLAIM,
            "fee-denial": T.FEE_DENIAL,
        },
    )
    report = analyze(db, settings)
    assert report.linked == 5

    expected = {
        "fee-repost": "fee",
        "dam-unaccented": "dam",
        "kidnap-other-commune": "kidnap",
        "swine-short-post": "swine",
    }
    for name, target in expected.items():
        link = link_of(db, later[name])
        assert link is not None, name
        assert (link.matched_alert_id, link.kind) == (alerts[target], "repost"), name
        assert 0.45 <= link.similarity <= 1
    assert link_of(db, later["template-other-claim"]) is None
    denial = link_of(db, later["fee-denial"])
    assert denial is not None and denial.kind == "denial" and denial.effect == "none"
    assert denial.matched_alert_id == alerts["fee"]

    # known misinformation is flagged even below the threshold, and says why
    short = analysis_of(db, later["swine-short-post"])
    assert short.flagged and short.score < short.explanation["threshold"]
    assert any("dù điểm dưới ngưỡng" in n for n in short.explanation["notes_vi"])
    # auto_verdict: the repost took the earlier verdict, clarification and link
    repost = alert_of(db, later["fee-repost"])
    assert repost is not None and repost.status == "verified_false"
    assert (repost.clarification, repost.clarification_link) == (CLARIFICATION, LINK)
    with db.session() as session:
        event = session.scalars(
            select(AlertEvent).where(AlertEvent.alert_id == repost.id).order_by(AlertEvent.id)
        ).all()[-1]
    assert event.actor == "system" and event.note.startswith("automatic: same claim as alert")
    # the denial is no repost: it never takes the verdict of the claim it answers
    denial_alert = alert_of(db, later["fee-denial"])
    assert denial_alert is None or denial_alert.status == "new"

    # a repost of a dismissed claim scores lower, and the arithmetic says so
    lowered = analysis_of(db, later["kidnap-other-commune"])
    (extra,) = [c for c in lowered.explanation["contributions"] if c["category"] == "recurring"]
    assert extra["value"] == -2.0
    assert lowered.explanation["total"] == pytest.approx(
        sum(c["value"] for c in lowered.explanation["contributions"])
    )
    assert lowered.score == pytest.approx(max(0.0, lowered.explanation["total"] * 1.3))
    assert lowered.score < analysis_of(db, earlier["kidnap"]).score

    # the digest puts the returning claims on top, with the clarification and its link
    sent = run_digest(db, DigestOptions(outbox=tmp_path), force=True)
    assert sent.state == "sent" and sent.location
    mail = message_from_bytes(Path(sent.location).read_bytes(), policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    top = text.split("Tin đã xác minh quay lại", 1)[1].split("=== Câu chuyện", 1)[0]
    assert T.FEE_NOTICE_REPOST[0] in top and CLARIFICATION in top and LINK in top
    assert T.DAM_UNACCENTED[0] in top and T.FEE_DENIAL[0] not in top
    assert T.FEE_DENIAL[0] in text.split("=== Câu chuyện", 1)[1]

    # the public page lists the clarification once, with the repost that matched it
    with db.session() as session:
        set_published(session, alerts["fee"], True, "lan")
    (published,) = published_clarifications(db)
    assert published["id"] == alerts["fee"] and len(published["reposts"]) == 1


def test_matching_off_links_nothing(sqlite_db: Database) -> None:
    earlier = store(sqlite_db, {"fee": T.FEE_NOTICE})
    analyze(sqlite_db, config(enabled=False))
    alert = alert_of(sqlite_db, earlier["fee"])
    assert alert is not None
    with sqlite_db.session() as session:
        change_status(session, alert.id, Verdict("verified_false", "lan"))
    later = store(sqlite_db, {"repost": T.FEE_NOTICE_REPOST})
    assert analyze(sqlite_db, config(enabled=False)).linked == 0
    assert link_of(sqlite_db, later["repost"]) is None
    assert analyze(sqlite_db, config()).linked == 0  # nothing pending: no re-analysis


def test_bad_recurring_key_is_refused_with_its_path(tmp_path) -> None:
    path = write_config(
        tmp_path / "config.yaml",
        recurring={"similarity": 0.5, "on_match": {"verified_false": {"effect": "shout"}}},
    )
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert "recurring.on_match.verified_false.effect" in str(refused.value)
    path = write_config(tmp_path / "config.yaml", recurring={"auto_verdicts": True})
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert "recurring.auto_verdicts" in str(refused.value)


def test_an_item_is_matched_only_with_claims_stored_before_it() -> None:
    texts = [T.DAM_RUMOUR, T.FEE_NOTICE, T.DAM_UNACCENTED]
    index = ClaimIndex(
        [(key, claim_text(*t)) for key, t in enumerate(texts, start=1)],
        [claim_text("", b) for b in T.BACKGROUND],
    )
    rumour, repost = claim_text(*T.DAM_RUMOUR), claim_text(*T.DAM_UNACCENTED)
    assert [h.key for h in index.query(repost, 0.45, below=3)] == [1]
    assert index.query(rumour, 0.45, below=1) == []  # the newer repost is not its source
    assert [h.key for h in index.query(rumour, 0.45)] == [1, 3]


def test_deciding_a_match_never_changes_the_result_it_was_given() -> None:
    """The analysis stage hands `decide` the result's own lists and dicts (no deep copy, a
    third of a millisecond per item); every effect must build new ones instead."""
    import copy

    from alerts.recurring import Candidate, MatchAction, MatchPolicy, decide

    def result(denial: bool) -> dict[str, object]:
        match = {"rule": "r", "category": "denial" if denial else "scam", "weight": 2.0}
        contribution = {"rule": "r", "category": "scam", "value": 2.0}
        return {
            "localities": [{"unit": "Xã Bờ Y"}],
            "matches": [match],
            "score": 2.0,
            "flagged": False,
            "explanation": {
                "notes_vi": ["ghi chú"],
                "contributions": [contribution],
                "threshold": 3.0,
                "trust_factor": 1.0,
                "flagged": False,
            },
        }

    changed_any = 0
    for verdict, effect in (("verified_false", "flag"), ("verified_true", "lower"), ("x", "none")):
        for denial in (False, True):
            policy = MatchPolicy(actions={verdict: MatchAction(effect)})
            given = result(denial)
            before = copy.deepcopy(given)
            changed, record = decide(given, Candidate(7, 3, verdict, False, 0.9), policy)
            assert given == before, (verdict, effect, denial)
            assert record is not None
            changed_any += changed != before
    assert changed_any == 6  # every effect wrote its note, into new containers
