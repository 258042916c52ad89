"""YouTube Data API and Graph API adapters against a local server answering in the shape of
the documented responses: paging, quota errors, 403, malformed JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from monitor.config import Source, load_config
from monitor.fixture_server import FixtureServer
from monitor.pipeline import collect
from storage.db import Database
from storage.models import Item
from tests.helpers import ROOT, local_crawler

VIDEOS = {
    "vid111": (
        "Thời sự Kon Tum: tin đồn đóng cửa khẩu Bờ Y là sai sự thật",
        "Bản tin chiều 3/9: Ban Quản lý cửa khẩu quốc tế Bờ Y bác bỏ tin đồn.",
    ),
    "vid222": (
        "Ngọc Hồi: người dân cảnh giác lừa đảo qua mạng",
        "Công an huyện Ngọc Hồi cảnh báo thủ đoạn giả danh.",
    ),
    "vid333": ("Chợ phiên Sa Loong", "Không khí chợ phiên cuối tuần ở xã Sa Loong."),
}
QUOTA = {
    "error": {
        "code": 403,
        "message": "The request cannot be completed because you have exceeded your quota.",
        "errors": [{"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}],
    }
}


def send(h: BaseHTTPRequestHandler, status: int, payload: object | bytes) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json; charset=UTF-8")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def youtube_search(h: BaseHTTPRequestHandler) -> None:
    if h.headers.get("X-Goog-Api-Key") != "yt-test-key":
        send(h, 400, {"error": {"code": 400, "message": "API key not valid."}})
        return
    query = parse_qs(urlsplit(h.path).query)
    assert query["q"] == ["Ngọc Hồi"] and query["regionCode"] == ["VN"]
    if query.get("pageToken") == ["CAIQAA"]:
        send(
            h,
            200,
            {
                "kind": "youtube#searchListResponse",
                "items": [
                    {
                        "kind": "youtube#searchResult",
                        "id": {"kind": "youtube#video", "videoId": "vid333"},
                    }
                ],
            },
        )
        return
    send(
        h,
        200,
        {
            "kind": "youtube#searchListResponse",
            "nextPageToken": "CAIQAA",
            "pageInfo": {"totalResults": 3, "resultsPerPage": 2},
            "items": [
                {"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": v}}
                for v in ("vid111", "vid222")
            ],
        },
    )


def youtube_videos(h: BaseHTTPRequestHandler) -> None:
    ids = parse_qs(urlsplit(h.path).query)["id"][0].split(",")
    send(
        h,
        200,
        {
            "kind": "youtube#videoListResponse",
            "items": [
                {
                    "kind": "youtube#video",
                    "id": v,
                    "snippet": {
                        "publishedAt": "2025-09-03T12:00:00Z",
                        "channelId": "UCx",
                        "title": VIDEOS[v][0],
                        "description": VIDEOS[v][1],
                        "channelTitle": "Truyền hình Kon Tum",
                    },
                }
                for v in ids
            ],
        },
    )


def graph_posts(base: list[str]) -> object:
    def handler(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("Authorization") != "Bearer page-token":
            send(
                h,
                400,
                {
                    "error": {
                        "message": "Invalid OAuth access token.",
                        "type": "OAuthException",
                        "code": 190,
                    }
                },
            )
            return
        if "after=QVFI" in h.path:
            assert "access_token" not in h.path
            send(
                h,
                200,
                {
                    "data": [
                        {
                            "id": "1_3",
                            "message": "Thông báo lịch tiêm chủng ở xã Dục Nông.",
                            "created_time": "2025-09-01T01:00:00+0000",
                            "permalink_url": "https://www.facebook.com/ubnd/posts/3",
                        }
                    ],
                    "paging": {},
                },
            )
            return
        send(
            h,
            200,
            {
                "data": [
                    {
                        "id": "1_1",
                        "message": "UBND xã Bờ Y: không có chuyện xả lũ khẩn cấp.",
                        "created_time": "2025-09-03T10:00:00+0000",
                        "permalink_url": "https://www.facebook.com/ubnd/posts/1",
                    },
                    {
                        "id": "1_2",
                        "created_time": "2025-09-02T10:00:00+0000",
                        "permalink_url": "https://www.facebook.com/ubnd/posts/2",
                    },
                ],
                "paging": {
                    "cursors": {"after": "QVFI"},
                    "next": f"{base[0]}/graph/v21.0/12345/posts?access_token=page-token"
                    "&fields=message&after=QVFI",
                },
            },
        )

    return handler


@pytest.fixture
def api(tmp_path: Path) -> Iterator[FixtureServer]:
    base: list[str] = []
    routes = {
        "/youtube/v3/search": youtube_search,
        "/youtube/v3/videos": youtube_videos,
        "/quota/v3/search": lambda h: send(h, 403, QUOTA),
        "/bad/v3/search": lambda h: send(h, 200, b"{not json"),
        "/graph/v21.0/12345/posts": graph_posts(base),
        "/denied/v21.0/12345/posts": lambda h: send(
            h,
            403,
            {
                "error": {
                    "message": "(#10) Application does not have permission for this action",
                    "type": "OAuthException",
                    "code": 10,
                }
            },
        ),
    }
    with FixtureServer(tmp_path / "none", routes=routes) as server:
        base.append(server.base_url)
        yield server


def test_youtube_and_graph_adapters(
    api: FixtureServer, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_TEST_YT_KEY", "yt-test-key")
    monkeypatch.setenv("PM_TEST_PAGE_TOKEN", "page-token")
    base = api.base_url
    youtube = {"kind": "youtube_search", "query": "Ngọc Hồi", "credential_env": "PM_TEST_YT_KEY"}
    graph = {
        "kind": "facebook_page",
        "account_id": "12345",
        "credential_env": "PM_TEST_PAGE_TOKEN",
        "trust": "official",
    }
    sources = [
        Source(name="yt", api_url=f"{base}/youtube/v3", **youtube),
        Source(name="yt-quota", api_url=f"{base}/quota/v3", **youtube),
        Source(name="yt-bad", api_url=f"{base}/bad/v3", **youtube),
        Source(
            name="yt-no-key",
            api_url=f"{base}/youtube/v3",
            **{**youtube, "credential_env": "PM_TEST_UNSET"},
        ),
        Source(name="fb", api_url=f"{base}/graph/v21.0", **graph),
        Source(name="fb-denied", api_url=f"{base}/denied/v21.0", **graph),
    ]
    config = load_config(ROOT / "config.yaml")
    config = config.model_copy(
        update={"sources": sources, "database_url": db_url, "crawler": local_crawler(config)}
    )
    result = collect(db, config)
    stats = result.per_source

    assert stats["yt"]["new"] == 3 and stats["yt"]["errors"] == 0
    assert stats["yt"]["api_units"] == 2 * 100 + 2 * 1  # two searches, two videos.list
    assert "quota exceeded" in stats["yt-quota"]["error_reasons"][0]
    assert "malformed JSON" in stats["yt-bad"]["error_reasons"][0]
    assert "PM_TEST_UNSET is not set" in stats["yt-no-key"]["error_reasons"][0]
    assert stats["fb"]["new"] == 2  # the post without a message is skipped
    assert "403" in stats["fb-denied"]["error_reasons"][0]
    assert "permission" in stats["fb-denied"]["error_reasons"][0]
    assert set(result.failed_sources) == {"yt-quota", "yt-bad", "yt-no-key", "fb-denied"}

    with db.session() as session:
        items = {i.canonical_url: i for i in session.scalars(select(Item))}
    video = items["https://youtube.com/watch?v=vid111"]
    assert video.title == VIDEOS["vid111"][0] and video.text == VIDEOS["vid111"][1]
    assert video.author == "Truyền hình Kon Tum"
    assert video.published_at == datetime(2025, 9, 3, 12, 0)
    post = items["https://facebook.com/ubnd/posts/1"]
    assert post.text == "UBND xã Bờ Y: không có chuyện xả lũ khẩn cấp."
    assert post.published_at == datetime(2025, 9, 3, 10, 0)
    assert "https://facebook.com/ubnd/posts/3" in items
    assert not any("page-token" in path or "yt-test-key" in path for path, _ in api.requests)

    from monitor.status_report import status_report

    report, _healthy = status_report(db)
    assert "API quota used in the last 24 h: 202 units" in report

    again = collect(db, config, ["yt", "fb"])

    assert again.per_source["yt"]["new"] == 0 and again.per_source["fb"]["new"] == 0
    assert again.per_source["yt"]["api_units"] == 100  # known videos: no videos.list, no page 2
