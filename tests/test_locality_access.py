"""Accounts limited to localities, over HTTP: a commune's analyst sees only that commune's
alerts (queue, alert page by id, export, overview, search); a provincial account sees all,
with a locality filter and per-locality counts; the public page is unaffected."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.accounts import add_user, limit_to_localities
from alerts.labels import STATUS_LABELS
from alerts.queue import Verdict, change_status, set_published
from nlp.normalize import fold
from storage.db import Database
from storage.localities import user_locality_keys
from tests.factories import flagged_item
from tests.helpers import run_cli
from tests.test_localities import BO_Y, SA_LOONG, with_localities
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

PASSWORD = "mat-khau-du-dai"
NAMES = (("bo-y", "Xã Bờ Y"), ("sa-loong", "Xã Sa Loong"))


def ids(body: str) -> list[int]:
    return sorted(int(i) for i in re.findall(r'class="alert-link">#(\d+)<', body))


@pytest.fixture
def site(db: Database) -> Iterator[tuple[str, Database, dict[str, int]]]:
    alerts = {
        "bo-y": flagged_item(db, 1, title="Tin đồn cửa khẩu Bờ Y", locality_keys=["bo-y"]),
        "sa-loong": flagged_item(db, 2, title="Lừa đảo Sa Loong", locality_keys=["sa-loong"]),
    }
    with db.session() as session:
        add_user(session, "boy", PASSWORD)
        add_user(session, "tinh", PASSWORD)
        limit_to_localities(session, "boy", ["bo-y"])
        change_status(
            session,
            alerts["sa-loong"],
            Verdict("verified_false", "tinh", "sai", "Không có vụ lừa đảo nào."),
        )
        set_published(session, alerts["sa-loong"], True, "tinh")
    app = create_app(db, WebOptions(secret_key="k", fold=fold, localities=NAMES))
    with serving(app) as base:
        yield base, db, alerts


def logged_in(base: str, username: str) -> Client:
    client = Client(base)
    assert client.login(username, PASSWORD).status == 302
    return client


def test_commune_account_sees_only_its_alerts(site: tuple[str, Database, dict[str, int]]) -> None:
    base, _, alerts = site
    client = logged_in(base, "boy")
    mine, other = alerts["bo-y"], alerts["sa-loong"]
    assert ids(client.get("/?status=all").body) == [mine]
    assert ids(client.get("/?status=all&q=sa+loong").body) == []  # search cannot reach it
    assert ids(client.get("/?status=all&area=sa-loong").body) == []
    assert client.get(f"/alerts/{mine}").status == 200
    # another commune's alert by id: the same 404 as an alert that does not exist
    assert client.get(f"/alerts/{other}").status == 404
    assert client.get("/alerts/999999").status == 404
    page = client.get(f"/alerts/{mine}")
    for action in ("claim", "release"):
        refused = client.post(f"/alerts/{other}/{action}", {"csrf_token": page.csrf()})
        assert refused.status == 404
    verdict = {"csrf_token": page.csrf(), "status": "dismissed", "note": "x"}
    assert client.post(f"/alerts/{other}/verdict", verdict).status == 404
    exported = [json.loads(line) for line in client.get("/export.jsonl").body.splitlines()]
    assert [r["alert_id"] for r in exported] == [mine]
    assert "Lừa đảo Sa Loong" not in client.get("/export.csv").body
    overview = client.get("/overview").body
    assert re.search(r"<td>Xã Bờ Y</td><td>bo-y</td><td>1</td><td>1</td>", overview)
    assert "sa-loong" not in overview
    assert STATUS_LABELS["verified_false"] not in overview.split('id="rules"')[0]
    # the public page is the public's: the published clarification shows to anyone
    assert "Lừa đảo Sa Loong" in Client(base).get("/clarifications").body


def test_provincial_account_sees_all_with_filter_and_counts(
    site: tuple[str, Database, dict[str, int]],
) -> None:
    base, _, alerts = site
    client = logged_in(base, "tinh")
    queue = client.get("/?status=all")
    assert ids(queue.body) == sorted(alerts.values())
    assert 'id="area-filter"' in queue.body
    assert ids(client.get("/?status=all&area=sa-loong").body) == [alerts["sa-loong"]]
    assert all(client.get(f"/alerts/{a}").status == 200 for a in alerts.values())
    exported = client.get("/export.jsonl").body.splitlines()
    assert len(exported) == 2
    overview = client.get("/overview").body
    assert re.search(r"<td>Xã Bờ Y</td><td>bo-y</td><td>1</td><td>1</td>", overview)
    assert re.search(r"<td>Xã Sa Loong</td><td>sa-loong</td><td>1</td><td>0</td>", overview)


def test_users_localities_cli(sqlite_db: Database, tmp_path: Path) -> None:
    config = with_localities(tmp_path, [BO_Y, SA_LOONG], database_url=sqlite_db.url)
    with sqlite_db.session() as session:
        user_id = add_user(session, "boy", PASSWORD).id

    def users(*args: str) -> tuple[int, str]:
        done = run_cli("--config", str(config), "users", *args, cwd=tmp_path)
        return done.returncode, done.stdout + done.stderr

    def limit() -> list[str]:
        with sqlite_db.session() as session:
            return user_locality_keys(session, user_id)

    assert users("localities", "boy", "--locality", "bo-y") == (0, "user boy sees bo-y\n")
    assert limit() == ["bo-y"]
    code, out = users("localities", "boy", "--locality", "dak-to")
    assert code == 1 and "unknown locality keys: dak-to" in out and limit() == ["bo-y"]
    assert users("localities", "boy", "--all") == (0, "user boy sees every locality\n")
    assert limit() == []
