"""Downloader middleware: exponential backoff between retries.

Scrapy's RetryMiddleware re-schedules a failed request at once; against a struggling
server that is the least polite thing to do. This waits base * 2^(n-1) seconds (capped)
before the n-th retry is downloaded.
"""

from __future__ import annotations

import asyncio

from scrapy import Request, Spider
from scrapy.crawler import Crawler


class RetryBackoffMiddleware:
    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        return cls(
            crawler.settings.getfloat("RETRY_BACKOFF_BASE", 1.0),
            crawler.settings.getfloat("RETRY_BACKOFF_MAX", 30.0),
        )

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        retries = request.meta.get("retry_times", 0)
        if retries and self.base > 0:
            await asyncio.sleep(min(self.cap, self.base * 2 ** (retries - 1)))
