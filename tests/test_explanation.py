"""The score explained in the digest (both parts) and the story's first appearance by
publication date."""

from __future__ import annotations

import email
import re
from datetime import datetime
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.accounts import add_user
from alerts.explain import explain, explanation_lines
from alerts.render import DigestEntry, DigestStory, DigestView, render
from alerts.scores import format_score, round_score
from alerts.stories import spread
from storage.db import Database
from storage.models import Alert, Item, Story
from tests.factories import flagged_item
from tests.helpers import ROOT, run_cli
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

EXPLANATION = {
    "contributions": [
        {
            "rule": "rumour:tin đồn",
            "category": "rumour",
            "field": "title",
            "weight": 2.0,
            "factors": [{"name": "title", "label_vi": "hệ số tiêu đề", "value": 1.5}],
            "value": 3.0,
        },
        {
            "rule": "scam:chuyển khoản",
            "category": "scam",
            "surface": "chuyen khoan",
            "field": "text",
            "weight": 2.5,
            "factors": [],
            "value": 2.5,
        },
    ],
    "trust": "social",
    "trust_factor": 1.2,
    "total": 5.5,
    "score": 6.6,
    "threshold": 2.5,
    "flagged": True,
    "notes_vi": ["Dấu hiệu bổ trợ «urgency» không được tính vì không có dấu hiệu chính."],
}


def entry(explanation: dict | None, alert_id: int = 1) -> DigestEntry:
    return DigestEntry(
        alert_id=alert_id,
        title="Tin đồn cắt điện",
        source="bao-test",
        url="http://127.0.0.1/bai/1.html",
        published_at=datetime(2025, 7, 1, 2, 30),
        score=6.6,
        categories=["rumour", "scam"],
        localities=["Xã Bờ Y, Tỉnh Quảng Ngãi"],
        snippet=[("phải ", False), ("chuyển khoản", True)],
        matched_words=["chuyển khoản", "tin đồn"],
        title_parts=[("Tin đồn", True), (" cắt điện", False)],
        explanation=explanation,
    )


def test_digest_explains_the_score_in_both_parts() -> None:
    view = DigestView(
        datetime(2025, 7, 1), datetime(2025, 7, 2), [DigestStory([entry(EXPLANATION)])]
    )
    text, html = render(view)
    assert "Cách tính điểm:" in text
    assert "+ Tin đồn «rumour:tin đồn» ở tiêu đề: trọng số 2 × hệ số tiêu đề 1.5 = 3" in text
    assert "+ Lừa đảo «chuyen khoan» (scam:chuyển khoản) ở nội dung: trọng số 2.5 = 2.5" in text
    assert "Cộng: 5.5 × hệ số tin cậy của nguồn (mạng xã hội) 1.2 = 6.6; ngưỡng 2.5" in text
    assert "Ghi chú: Dấu hiệu bổ trợ «Giật gân, khẩn cấp» không được tính" in text
    assert "<mark>Tin đồn</mark> cắt điện" in html  # the title's match, highlighted
    assert "Từ khớp: chuyển khoản, tin đồn" in html  # the words list, as in the text part
    assert "trọng số 2 × hệ số tiêu đề 1.5" in html and "= <b>6.6</b>" in html
    assert "mạng xã hội" in html and "đạt ngưỡng, được gắn cờ" in html


def test_old_analyses_say_there_is_no_explanation() -> None:
    view = DigestView(datetime(2025, 7, 1), datetime(2025, 7, 2), [DigestStory([entry(None)])])
    text, html = render(view)
    assert "Cách tính điểm: chưa có giải thích" in text
    assert "Cách tính điểm: chưa có giải thích" in html
    assert explain({"contributions": "not a list"}) is None
    assert explanation_lines({"score": 1})[0].startswith("Cách tính điểm: chưa có")


def test_one_rounding_everywhere() -> None:
    assert [format_score(x) for x in (2.25, 2.35, 0.05, 7.0)] == ["2.3", "2.4", "0.1", "7.0"]
    assert round_score(2.25) == 2.3


def test_story_first_seen_is_the_earliest_publication(db: Database) -> None:
    first = flagged_item(db, 1, published_at=datetime(2025, 6, 1, 1, 0))
    second = flagged_item(db, 2, published_at=None)
    with db.session() as session:
        story = Story(signature=[], first_seen_at=datetime(2025, 7, 5), item_count=2)
        session.add(story)
        session.flush()
        for item in session.query(Item):
            item.story_id = story.id
        story_id = story.id
    with db.session() as session:
        info = spread(session, [story_id])[story_id]
    assert info.first_seen == datetime(2025, 6, 1, 1, 0)
    assert first != second


@pytest.mark.slow
def test_real_analyses_are_explained_on_the_page_in_show_and_in_the_digest(
    tmp_path: Path,
) -> None:
    from monitor.demo import run_demo

    result = run_demo(ROOT / "config.yaml", tmp_path / "demo")
    (eml,) = (tmp_path / "demo" / "outbox").glob("*-all-*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "hệ số tin cậy của nguồn" in part and "ngưỡng" in part
        assert "chưa có giải thích" not in part
    assert re.search(r"\+ \S.* ở (tiêu đề|nội dung): trọng số [\d.]+", text)

    db = Database(result.config.database_url)
    try:
        with db.session() as session:
            add_user(session, "lan", "mat-khau-du-dai")
            alert_id = session.scalars(select(Alert.id).order_by(Alert.score.desc())).first()
        with serving(create_app(db, WebOptions(secret_key="k"))) as base:
            client = Client(base)
            client.login("lan", "mat-khau-du-dai")
            page = client.get(f"/alerts/{alert_id}").body
    finally:
        db.dispose()
    explained = page[page.index('id="explanation"') :]
    assert '<table class="explain">' in explained and "Cộng:" in explained
    assert "Chưa có giải thích" not in page
    shown = run_cli(
        "--config",
        str(ROOT / "config.yaml"),
        "alerts",
        "show",
        str(alert_id),
        cwd=tmp_path,
        env={"PRESS_MONITOR_DATABASE_URL": result.config.database_url},
    )
    assert "Cách tính điểm:" in shown.stdout and "chưa có giải thích" not in shown.stdout
    assert "hệ số tin cậy của nguồn" in shown.stdout
