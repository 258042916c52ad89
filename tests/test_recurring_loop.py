"""The recurring-claims loop as users run it, through the CLI, a local HTTP site and a real
SMTP server: a rumour is flagged, verified false, its clarification published; a reworded
repost collected later arrives linked, flagged and on top of the digest. A reference
source's scam warning raises no alert and links the later post that uses its script."""

from __future__ import annotations

import csv
import io
import json
from email.message import EmailMessage
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from alerts.accounts import add_user
from alerts.export import export_rows, write_export
from alerts.views import alert_detail
from monitor.config import load_config
from monitor.fixture_server import FixtureServer
from monitor.pipeline import digest as send_digest
from storage.db import Database
from tests import recurring_texts as T
from tests.helpers import run_cli, write_config
from tests.smtp_server import SmtpServer, free_port
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

pytestmark = pytest.mark.slow

CLARIFICATION = "Thủy điện Plei Krông vận hành bình thường, không có nguy cơ vỡ đập."
LINK = "https://ngochoi.quangngai.gov.vn/dinh-chinh/thuy-dien-plei-krong"
PASSWORD = "mat-khau-du-dai"


def rss(base: str, name: str, entries: list[tuple[str, str, str, str]]) -> str:
    """An RSS 2.0 feed; entries are (slug, date, title, text)."""
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{base}/{name}/{slug}.html</link>"
        f"<pubDate>{date}</pubDate><description>{escape(text)}</description></item>"
        for slug, date, title, text in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>{base}/{name}/</link><description>{name}</description>"
        f"{items}</channel></rss>"
    )


def cli(config: Path, *args: str) -> str:
    result = run_cli("--config", str(config), *args, cwd=config.parent)
    assert result.returncode == 0, result.stderr
    return result.stdout


def alerts_by_title(db: Database) -> dict[str, dict]:
    """What `alerts export` writes, by title (the command's own functions, in process)."""
    out = io.StringIO()
    write_export(export_rows(db), "jsonl", out)
    return {row["title"]: row for row in map(json.loads, out.getvalue().splitlines())}


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def test_repost_of_a_published_false_claim_arrives_linked_flagged_and_on_top(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    port = free_port()
    with FixtureServer(site) as server, SmtpServer(port) as smtp:
        base = server.base_url
        social = [("10231", "Wed, 15 Oct 2025 21:05:00 +0700", *T.DAM_RUMOUR)]
        (site / "congdong.rss").write_text(rss(base, "congdong", social), encoding="utf-8")
        police = [("canh-bao-dien-luc", "Mon, 13 Oct 2025 08:00:00 +0700", *T.POLICE_WARNING)]
        (site / "congan.rss").write_text(rss(base, "congan", police), encoding="utf-8")
        db_url = f"sqlite:///{tmp_path / 'pm.db'}"
        db = Database(db_url)
        config = write_config(
            tmp_path / "config.yaml",
            sources=[
                {
                    "name": "cong-dong-ngoc-hoi",
                    "kind": "feed",
                    "url": f"{base}/congdong.rss",
                    "trust": "social",
                    "follow_links": False,
                },
                {
                    "name": "cong-an-tinh",
                    "kind": "feed",
                    "url": f"{base}/congan.rss",
                    "trust": "official",
                    "follow_links": False,
                    "reference": "false_claims",
                },
            ],
            database_url=db_url,
            smtp={"host": "127.0.0.1", "port": port, "tls": "none", "sender": "pm@example.invalid"},
            web={"base_url": "https://giamsat.example.invalid"},
        )

        # cycle one: the rumour is flagged; the police warning is a claim, never an alert
        cli(config, "run", "--once")
        first = alerts_by_title(db)
        assert list(first) == [T.DAM_RUMOUR[0]]
        rumour = first[T.DAM_RUMOUR[0]]["alert_id"]
        assert len(smtp.received.messages) == 1

        # the analyst checks it, records the clarification and publishes it
        cli(
            config,
            "alerts",
            "verdict",
            str(rumour),
            "verified_false",
            "--note",
            "đã hỏi Điện lực",
            "--clarification",
            CLARIFICATION,
            "--link",
            LINK,
            "--actor",
            "lan",
        )
        assert "published" in cli(config, "alerts", "publish", str(rumour), "--actor", "lan")

        # cycle two: a reworded repost without diacritics, and a post using the scam script
        social += [
            ("10377", "Sun, 30 Nov 2025 20:40:00 +0700", *T.DAM_UNACCENTED),
            ("10390", "Mon, 01 Dec 2025 09:15:00 +0700", *T.SCRIPT_POST),
        ]
        (site / "congdong.rss").write_text(rss(base, "congdong", social), encoding="utf-8")
        assert "linked to claims the office has checked: 2" in cli(config, "run", "--once")
        assert send_digest(db, load_config(config), tmp_path, force=True).state == "sent"

    second = alerts_by_title(db)
    assert set(second) == {T.DAM_RUMOUR[0], T.DAM_UNACCENTED[0], T.SCRIPT_POST[0]}
    repost = second[T.DAM_UNACCENTED[0]]
    assert (repost["matched_alert"], repost["match_kind"]) == (rumour, "repost")
    assert repost["matched_verdict"] == "verified_false" and repost["similarity"] >= 0.45
    script = second[T.SCRIPT_POST[0]]
    assert script["match_kind"] == "repost" and script["matched_alert"] is None
    assert script["matched_reference_url"] == f"{base}/congan/canh-bao-dien-luc.html"
    assert second[T.DAM_RUMOUR[0]]["matched_alert"] is None

    out = io.StringIO()
    write_export(export_rows(db), "csv", out)
    csv_rows = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    (csv_repost,) = [r for r in csv_rows if r["alert_id"] == str(repost["alert_id"])]
    assert csv_repost["matched_alert"] == str(rumour) and csv_repost["match_kind"] == "repost"

    shown = alert_detail(db, repost["alert_id"]) or ""
    assert f"Matched alert: {rumour}" in shown and "kind: repost" in shown
    assert CLARIFICATION in shown and LINK in shown

    # the digest: the repost on top under its own heading, with the clarification and link
    mail = body(smtp.received.messages[-1])
    assert mail.index("Tin đã xác minh quay lại") < mail.index(T.DAM_UNACCENTED[0])
    returning = mail.split("Tin đã xác minh quay lại", 1)[1].split("=== Câu chuyện", 1)[0]
    assert T.DAM_UNACCENTED[0] in returning and CLARIFICATION in returning and LINK in returning
    assert f"cảnh báo #{rumour}" in returning
    assert "cong-an-tinh" in returning and T.SCRIPT_POST[0] in returning

    # the review page beside the new item, and the public page counting the repost once
    with db.session() as session:
        add_user(session, "lan", PASSWORD, "Nguyễn Thị Lan")
    with serving(create_app(db, WebOptions(secret_key="k"))) as web:
        analyst = Client(web)
        analyst.login("lan", PASSWORD)
        page = analyst.get(f"/alerts/{repost['alert_id']}").body
        public = Client(web).get("/clarifications").body
    db.dispose()
    assert "Tin đã xác minh quay lại" in page and f"cảnh báo #{rumour}" in page
    assert "Sai sự thật" in page and CLARIFICATION in page
    assert public.count(CLARIFICATION) == 1
    assert "đã xuất hiện lại 1 lần: 30/11/2025" in public
    db.dispose()
