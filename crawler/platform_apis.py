"""Official platform APIs: YouTube Data API v3 search, Facebook and Instagram Graph API.

Pure request building and response parsing, so they are tested without Scrapy. Keys and
tokens travel in headers, not URLs, so they never reach logs or stored URLs.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.items import Entry
from crawler.text import normalize_text
from crawler.times import parse_time

# YouTube Data API quota costs, in units, per call.
SEARCH_UNITS = 100
VIDEOS_UNITS = 1


class ApiError(ValueError):
    """An API answered with an error or with something that is not its JSON."""


def youtube_search_url(base: str, query: str, page_token: str | None = None) -> str:
    params = {
        "part": "snippet",
        "type": "video",
        "q": query,
        "maxResults": 50,
        "order": "date",
        "regionCode": "VN",
        "relevanceLanguage": "vi",
    }
    if page_token:
        params["pageToken"] = page_token
    return f"{base.rstrip('/')}/search?{urlencode(params)}"


def youtube_videos_url(base: str, video_ids: list[str]) -> str:
    return f"{base.rstrip('/')}/videos?" + urlencode(
        {"part": "snippet", "id": ",".join(video_ids), "maxResults": 50}
    )


def youtube_headers(key: str) -> dict[str, str]:
    return {"X-Goog-Api-Key": key, "Accept": "application/json"}


def parse_youtube_search(body: bytes) -> tuple[list[str], str | None]:
    data = _json(body)
    ids = [
        item["id"]["videoId"]
        for item in data.get("items", [])
        if isinstance(item.get("id"), dict) and item["id"].get("videoId")
    ]
    return ids, data.get("nextPageToken")


def parse_youtube_videos(body: bytes) -> list[Entry]:
    entries = []
    for item in _json(body).get("items", []):
        snippet = item.get("snippet") or {}
        published = snippet.get("publishedAt")
        entries.append(
            Entry(
                url=f"https://www.youtube.com/watch?v={item['id']}",
                title=normalize_text(snippet.get("title") or ""),
                text=normalize_text(snippet.get("description") or ""),
                author=normalize_text(snippet.get("channelTitle") or "") or None,
                published_at=parse_time(published) if published else None,
            )
        )
    return entries


GRAPH_FIELDS = {
    "facebook_page": ("posts", "message,created_time,permalink_url"),
    "instagram_account": ("media", "caption,timestamp,permalink"),
}


def graph_url(base: str, kind: str, account_id: str) -> str:
    edge, fields = GRAPH_FIELDS[kind]
    return f"{base.rstrip('/')}/{account_id}/{edge}?" + urlencode({"fields": fields, "limit": 50})


def graph_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def parse_graph(body: bytes, kind: str) -> tuple[list[Entry], str | None]:
    data = _json(body)
    entries = []
    for post in data.get("data", []):
        text = normalize_text(post.get("message") or post.get("caption") or "")
        link = post.get("permalink_url") or post.get("permalink")
        if not text or not link:
            continue
        when = post.get("created_time") or post.get("timestamp")
        entries.append(
            Entry(
                url=link,
                title=text.split("\n", 1)[0][:200],
                text=text,
                published_at=parse_time(_graph_time(when)) if when else None,
            )
        )
    next_url = (data.get("paging") or {}).get("next")
    return entries, _without_token(next_url) if next_url else None


def _graph_time(value: str) -> str:
    """Graph writes +0000 offsets; ISO parsing wants +00:00."""
    if len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        return value[:-2] + ":" + value[-2:]
    return value


def _without_token(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "access_token"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(f"malformed JSON from the API: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError("the API answered with JSON that is not an object")
    if "error" in data:
        raise ApiError(describe_error(data["error"]))
    return data


def describe_error(error: Any) -> str:
    if not isinstance(error, dict):
        return f"API error: {error}"
    reasons = [e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)]
    if "quotaExceeded" in reasons or "dailyLimitExceeded" in reasons:
        return "API quota exceeded for today"
    code = error.get("code")
    return f"API error {code}: {error.get('message', '')}".strip()


def error_from_body(status: int, body: bytes) -> str:
    """The reason of an HTTP error answer, from its JSON error when it has one."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return f"HTTP {status}"
    if isinstance(data, dict) and "error" in data:
        return f"HTTP {status}: {describe_error(data['error'])}"
    return f"HTTP {status}"
