"""Source kinds the crawler knows, and the URLs they imply."""

from __future__ import annotations

from urllib.parse import urlencode

FEED_KINDS = ("feed", "google_news")
API_KINDS = ("youtube_search", "facebook_page", "instagram_account")
# The spider that collects each kind: a run starts only the spiders its sources need.
SPIDER_FOR_KIND = {
    **dict.fromkeys(FEED_KINDS, "feeds"),
    "site": "sites",
    "telegram": "telegram",
    **dict.fromkeys(API_KINDS, "apis"),
}
DEFAULT_API_URLS = {
    "youtube_search": "https://www.googleapis.com/youtube/v3",
    "facebook_page": "https://graph.facebook.com/v21.0",
    "instagram_account": "https://graph.facebook.com/v21.0",
}


def google_news_url(query: str) -> str:
    """The Google News RSS search for a query, in Vietnamese, for Vietnam."""
    return "https://news.google.com/rss/search?" + urlencode(
        {"q": query, "hl": "vi", "gl": "VN", "ceid": "VN:vi"}
    )
