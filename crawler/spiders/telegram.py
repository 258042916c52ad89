"""The `telegram` spider: a public channel's web preview, each message one item."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.encoding import decode_body
from crawler.items import Article, FetchFailure, PageFetched
from crawler.spiders.base import SourceSpider, http_error
from crawler.telegram import parse_channel_page
from storage.models import Source


class TelegramSpider(SourceSpider):
    name = "telegram"
    kinds = ("telegram",)

    def requests_for(self, source: Source) -> Iterable[scrapy.Request]:
        yield self.request(
            source.url,
            source.id,
            self.parse_channel,
            max_pages=source.options.get("max_pages", 5),
            page=1,
        )

    def parse_channel(self, response: Response) -> Iterator[Any]:
        source_id = response.meta["source_id"]
        if (failure := http_error(response)) is not None:
            yield failure
            return
        messages, older = parse_channel_page(decode_body(response.body), response.url)
        if not messages and response.meta["page"] == 1:
            yield FetchFailure(
                source_id,
                f"no channel messages found on {response.url}",
                response.status,
                url=response.url,
            )
            return
        yield PageFetched(source_id, response.status)
        new = set(self.unknown(m.url for m in messages))
        for message in messages:
            if message.url in new:
                title = message.text.split("\n", 1)[0][:200]
                yield Article(
                    source_id,
                    message.url,
                    title,
                    message.text,
                    message.author,
                    message.published_at,
                )
        all_new = len(new) == len(messages)
        if older and all_new and response.meta["page"] < response.meta["max_pages"]:
            yield self.request(
                older,
                source_id,
                self.parse_channel,
                max_pages=response.meta["max_pages"],
                page=response.meta["page"] + 1,
            )
