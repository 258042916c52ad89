"""The queue over HTTP: search and locality without diacritics, open by default, sorting,
pages with counts, claim and release, only allowed transitions, refusals in Vietnamese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest

from alerts.accounts import add_user
from alerts.queue import Verdict, change_status
from monitor.wiring import web_options
from nlp.normalize import fold
from storage.db import Database
from tests.factories import flagged_item
from tests.helpers import ROOT
from tests.web_client import Client, serving
from web.app import WebOptions, create_app

PASSWORD = "mat-khau-du-dai"
BO_Y = "Xã Bờ Y, Tỉnh Quảng Ngãi"


def ids(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="alert-link">#(\d+)<', body)]


@pytest.fixture
def analyst(db: Database) -> Iterator[tuple[Client, Database]]:
    with db.session() as session:
        add_user(session, "lan", PASSWORD, "Nguyễn Thị Lan")
        add_user(session, "minh", PASSWORD, "Trần Văn Minh")
    app = create_app(db, WebOptions(secret_key="k", fold=fold, per_page=2))
    with serving(app) as base:
        client = Client(base)
        assert client.login("lan", PASSWORD).status == 302
        yield client, db


def test_search_and_locality_ignore_diacritics_and_case(
    analyst: tuple[Client, Database],
) -> None:
    client, db = analyst
    bo_y = flagged_item(
        db,
        1,
        title="Tin đồn đóng cửa khẩu Bờ Y",
        text="Lan truyền tin đồn ở huyện cũ.",
        unit=BO_Y,
    )
    other = flagged_item(db, 2, title="Tin đồn ở huyện Ngọc Hồi")
    assert ids(client.get("/?q=bo+y").body) == [bo_y]
    assert ids(client.get("/?q=B%E1%BB%9D+Y").body) == [bo_y]  # "Bờ Y"
    assert ids(client.get("/?q=CUA+KHAU").body) == [bo_y]
    assert ids(client.get("/?q=lan+truyen").body) == [bo_y]  # the text, not only the title
    assert ids(client.get("/?locality=bo+y").body) == [bo_y]
    assert ids(client.get("/?locality=ngoc+hoi").body) == [other]
    assert "Không có cảnh báo nào." in client.get("/?q=khong+co+dau+vet").body


def test_open_by_default_one_click_to_all_sorting_and_pages(
    analyst: tuple[Client, Database],
) -> None:
    client, db = analyst
    low = flagged_item(db, 1, score=3.0, published_at=datetime(2025, 7, 3))
    high = flagged_item(db, 2, score=9.0, published_at=datetime(2025, 7, 1))
    mid = flagged_item(db, 3, score=5.0, published_at=datetime(2025, 7, 2))
    closed = flagged_item(db, 4, score=7.0)
    with db.session() as session:
        change_status(session, closed, Verdict("dismissed", "lan"))

    first = client.get("/")
    assert ids(first.body) == [high, mid]  # open only, by score, 2 per page
    assert "3 cảnh báo" in first.body and "trang 1/2" in first.body
    assert 'href="/?status=all"' in first.body  # one click to everything
    assert ids(client.get("/?page=2").body) == [low]
    everything = client.get("/?status=all")
    assert "4 cảnh báo" in everything.body and ids(everything.body) == [high, closed]
    assert ids(client.get("/?status=all&page=2").body) == [mid, low]
    assert ids(client.get("/?sort=date").body) == [low, mid]  # newest publication first
    assert "01/07/2025" in client.get("/?sort=score").body  # dd/mm/yyyy publication date
    assert ids(client.get("/?page=999").body) == []  # past the end: empty, not an error
    assert client.get("/?page=abc").status == 200


def test_claim_release_assignee_and_allowed_transitions(
    analyst: tuple[Client, Database],
) -> None:
    client, db = analyst
    alert_id = flagged_item(db)
    page = client.get(f"/alerts/{alert_id}")
    options = re.findall(r'<option value="(\w+)"', page.body)
    assert options == [
        "new",
        "in_review",
        "verified_true",
        "verified_false",
        "misleading",
        "dismissed",
    ]
    claimed = client.post(f"/alerts/{alert_id}/claim", {"csrf_token": page.csrf()})
    assert claimed.status == 303
    page = client.follow(claimed)
    assert (
        "Bạn đã nhận xác minh." in page.body
        and "Người xác minh: <b>Nguyễn Thị Lan</b> (lan)" in page.body
    )
    assert 'id="release"' in page.body
    queue = client.get("/")
    assert '<td class="assignee">Nguyễn Thị Lan</td>' in queue.body  # the assignee column
    # from in_review only the verdicts are offered (not "new")
    assert re.findall(r'<option value="(\w+)"', page.body) == [
        "in_review",
        "verified_true",
        "verified_false",
        "misleading",
        "dismissed",
    ]

    other = Client(client.base)
    other.login("minh", PASSWORD)
    theirs = other.get(f"/alerts/{alert_id}")
    assert 'id="release"' not in theirs.body
    refused = other.follow(other.post(f"/alerts/{alert_id}/release", {"csrf_token": theirs.csrf()}))
    assert "không do bạn nhận xác minh" in refused.body

    released = client.follow(
        client.post(f"/alerts/{alert_id}/release", {"csrf_token": page.csrf()})
    )
    assert "Đã trả cảnh báo về hàng đợi." in released.body
    assert "Chưa có người nhận xác minh." in released.body
    assert "trả lại hàng đợi" in released.body  # the history note, in Vietnamese


def test_refused_transition_is_explained_in_vietnamese(
    analyst: tuple[Client, Database],
) -> None:
    client, db = analyst
    alert_id = flagged_item(db)
    with db.session() as session:
        change_status(session, alert_id, Verdict("misleading", "minh"))
    page = client.get(f"/alerts/{alert_id}")
    answer = client.follow(
        client.post(
            f"/alerts/{alert_id}/verdict", {"csrf_token": page.csrf(), "status": "verified_true"}
        )
    )
    assert (
        f"Cảnh báo #{alert_id} đang ở trạng thái «Gây hiểu lầm»; chỉ có thể chuyển sang: "
        "Đang xác minh"
    ) in answer.body
    assert "it can move to" not in answer.body
    assert "được phân tích tự động gắn cờ" in answer.body  # "flagged by analysis", translated


def test_wiring_gives_the_pages_the_folding(tmp_path: object) -> None:
    from monitor.config import load_config

    options = web_options(load_config(ROOT / "config.yaml"))
    assert options.fold("Bờ Y") == "bo y" and options.per_page == 50
