"""No English reaches an analyst: every page, error page, flash message, chart and digest,
rendered with sample data, is searched for English words. Dates are dd/mm/yyyy."""

from __future__ import annotations

import base64
import html
import re
from datetime import datetime

from flask import render_template

from alerts.accounts import add_user
from alerts.explain import explain
from alerts.queue import Verdict, change_status, set_published
from alerts.render import DigestEntry, DigestStory, DigestView, render
from nlp.normalize import fold
from storage.db import Database
from tests.factories import flagged_item
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

PASSWORD = "mat-khau-du-dai"
ENGLISH = {
    "the",
    "and",
    "alert",
    "alerts",
    "status",
    "error",
    "errors",
    "found",
    "page",
    "login",
    "logout",
    "review",
    "score",
    "source",
    "sources",
    "unknown",
    "never",
    "flagged",
    "analysis",
    "verified",
    "dismissed",
    "misleading",
    "submit",
    "save",
    "search",
    "none",
    "move",
    "not",
    "with",
    "from",
    "this",
    "that",
    "please",
    "request",
    "server",
    "internal",
    "method",
    "allowed",
    "clarification",
    "published",
    "unpublished",
    "released",
    "items",
    "story",
    "next",
    "previous",
    "all",
    "open",
    "filter",
    "sort",
    "title",
    "text",
    "user",
    "password",
    "chart",
    "weight",
    "threshold",
    "trust",
    "total",
    "new",
    "in_review",
    "verified_true",
    "verified_false",
    "field",
    "rule",
    "category",
    "bad",
    "forbidden",
    "too",
    "many",
    "requests",
    "seen",
    "first",
    "published_at",
    "no",
    "data",
    "matches",
    "yes",
    "true",
    "false",
}
# Technical terms and sample data that stay as they are.
ALLOWED = {"atom", "csrf", "rumour", "bao", "test", "http", "https", "html"}
SAMPLE_EXPLANATION = {
    "contributions": [
        {
            "rule": "rumour:tin đồn",
            "category": "rumour",
            "field": "title",
            "weight": 2.0,
            "factors": [{"name": "title", "label_vi": "hệ số tiêu đề", "value": 1.5}],
            "value": 3.0,
        }
    ],
    "trust": "social",
    "trust_factor": 1.2,
    "total": 3.0,
    "score": 3.6,
    "threshold": 2.5,
    "flagged": True,
    "notes_vi": ["Mỗi dấu hiệu chỉ tính một lần."],
}


def english_words(markup: str) -> set[str]:
    visible = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    visible = re.sub(r"<[^>]+>", " ", visible)
    visible = re.sub(r"https?://\S+", " ", html.unescape(visible))
    visible = re.sub(r"^press-monitor .*$", " ", visible, flags=re.M)  # a command to type
    words = {w.lower() for w in re.findall(r"[A-Za-z_]+", visible)}
    return (words & ENGLISH) - ALLOWED


def chart_texts(markup: str) -> str:
    out = []
    for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', markup):
        svg = base64.b64decode(data).decode()
        out += re.findall(r"<(?:text|title|desc)[^>]*>([^<]*)<", svg)
    return " ".join(out)


def test_every_page_speaks_vietnamese(sqlite_db: Database) -> None:
    db = sqlite_db
    with db.session() as session:
        add_user(session, "lan", PASSWORD, "Nguyễn Thị Lan")
    first = flagged_item(db, 1, title="Tin đồn cắt điện ở huyện Ngọc Hồi")
    second = flagged_item(db, 2, published_at=None)
    with db.session() as session:
        change_status(session, second, Verdict("verified_false", "lan", "Đã xác minh", "Sai."))
        set_published(session, second, True, "lan")
    app = create_app(db, WebOptions(secret_key="k", fold=fold))
    pages: dict[str, str] = {}
    with serving(app) as base:
        client = Client(base)
        pages["login"] = client.get("/login").body
        pages["login refused"] = client.login("lan", "sai-mat-khau-roi").body
        client.login("lan", PASSWORD)
        pages["queue"] = client.get("/").body
        pages["queue all"] = client.get("/?status=all&sort=date").body
        pages["queue empty"] = client.get("/?q=khong-co").body
        pages["alert"] = client.get(f"/alerts/{first}").body
        pages["published alert"] = client.get(f"/alerts/{second}").body
        token = client.get("/").csrf()
        refused = client.post(f"/alerts/{second}/verdict", {"csrf_token": token, "status": "new"})
        pages["refusal"] = client.follow(refused).body
        claimed = client.post(f"/alerts/{first}/claim", {"csrf_token": token})
        pages["claimed"] = client.follow(claimed).body
        pages["overview"] = client.get("/overview").body
        pages["overview charts"] = chart_texts(pages["overview"])
        pages["clarifications"] = Client(base).get("/clarifications").body
        pages["404"] = client.get("/khong-co-trang-nay").body
        pages["405"] = client.post("/overview", {"csrf_token": token}).body
        pages["400"] = client.post(f"/alerts/{first}/verdict", {}).body
        pages["logout"] = client.follow(client.post("/logout", {"csrf_token": token})).body
    with app.test_request_context("/"):
        pages["500"] = render_template("error.html", code=500, title="Lỗi hệ thống", message="")
        pages["alert with explanation"] = render_template("alert.html", **_alert_sample(db, first))
    text, digest_html = render(_digest_sample())
    pages["digest text"], pages["digest html"] = text, digest_html

    for name, body in pages.items():
        assert not english_words(body), f"{name}: {sorted(english_words(body))}"
    assert (
        "Cộng: 3 × hệ số tin cậy của nguồn (mạng xã hội) 1.2 = <b>3.6</b>"
        in (pages["alert with explanation"])
    )
    assert "Chưa có giải thích" in pages["alert"]  # an old analysis: said, not guessed
    assert "Dấu hiệu trong cảnh báo mỗi ngày" in pages["overview charts"]
    for name in ("queue", "overview", "published alert", "clarifications"):
        assert re.search(r"\d\d/\d\d/\d{4}", pages[name]), name
        assert not re.search(
            r"\d{4}-\d\d-\d\d", re.sub(r'(src|href|value)="[^"]*"', "", pages[name])
        ), name


def _alert_sample(db: Database, alert_id: int) -> dict[str, object]:
    from flask import current_app, g

    from storage.models import User
    from web.alert_pages import _alert_context
    from web.context import KEY

    current_app.extensions[KEY]["db"] = db
    with db.session() as session:
        g.user = session.query(User).filter_by(username="lan").one()
    context = _alert_context(alert_id)
    context["explanation"] = explain(SAMPLE_EXPLANATION)
    return context


def _digest_sample() -> DigestView:
    entry = DigestEntry(
        alert_id=7,
        title="Tin đồn cắt điện",
        source="bao-test",
        url="http://127.0.0.1/bai/7.html",
        published_at=datetime(2025, 7, 1, 2, 30),
        score=3.6,
        categories=["rumour"],
        localities=["Xã Bờ Y, Tỉnh Quảng Ngãi"],
        snippet=[("Người dân bàn tán ", False), ("tin đồn", True)],
        matched_words=["tin đồn"],
        title_parts=[("Tin đồn", True), (" cắt điện", False)],
        explanation=SAMPLE_EXPLANATION,
    )
    old = DigestEntry(**{**entry.__dict__, "alert_id": 8, "explanation": None})
    return DigestView(
        period_start=datetime(2025, 7, 1),
        period_end=datetime(2025, 7, 2),
        stories=[DigestStory([entry]), DigestStory([old])],
        notices=["Nguồn bao-test không thu thập được 3 lần liên tiếp."],
    )
