"""Source kinds the crawler knows, and the URLs they imply."""

from __future__ import annotations

from urllib.parse import urlencode

FEED_KINDS = ("feed", "google_news")


def google_news_url(query: str) -> str:
    """The Google News RSS search for a query, in Vietnamese, for Vietnam."""
    return "https://news.google.com/rss/search?" + urlencode(
        {"q": query, "hl": "vi", "gl": "VN", "ceid": "VN:vi"}
    )
