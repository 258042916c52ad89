"""Messages of a public Telegram channel's web preview (https://t.me/s/NAME).

Only the public preview that Telegram serves without log-in is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from parsel import Selector

from crawler.text import html_to_text, normalize_text
from crawler.times import parse_time


@dataclass(frozen=True)
class Message:
    post_id: int
    url: str
    text: str
    author: str | None
    published_at: datetime | None


def parse_channel_page(html: str, page_url: str) -> tuple[list[Message], str | None]:
    """The page's messages (oldest first) and the URL of the older page, if any."""
    page = Selector(text=html)
    messages = []
    for node in page.css("div.tgme_widget_message[data-post]"):
        post = node.attrib["data-post"]
        _, _, number = post.rpartition("/")
        if not number.isdigit():
            continue
        link = node.css("a.tgme_widget_message_date::attr(href)").get() or f"https://t.me/{post}"
        text = html_to_text(node.css("div.tgme_widget_message_text").get() or "")
        if not text:
            continue
        when = node.css("a.tgme_widget_message_date time::attr(datetime)").get()
        author = node.css(".tgme_widget_message_owner_name ::text").getall()
        messages.append(
            Message(
                post_id=int(number),
                url=urljoin(page_url, link),
                text=text,
                author=normalize_text(" ".join(author)) or None,
                published_at=parse_time(when) if when else None,
            )
        )
    older = page.css("a.tme_messages_more[data-before]::attr(href)").get()
    return messages, urljoin(page_url, older) if older else None
