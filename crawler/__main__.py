"""`python -m crawler`: one collection run in this process, then exit.

The service starts this as a subprocess for every collection, because a Twisted reactor
cannot be restarted within one process. The database URL comes from the environment
(PRESS_MONITOR_DATABASE_URL), never from the command line, where `ps` would show its
password.

Started by a service (PRESS_MONITOR_PARENT_PID set), the crawl keeps that service's instance
lock held until it ends: on SQLite through the inherited lock file descriptor, on PostgreSQL
through a shared crawl lock taken here before any work, then checked against a parent that
died before it was taken.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from typing import Any

DATABASE_URL_ENV = "PRESS_MONITOR_DATABASE_URL"
PARENT_PID_ENV = "PRESS_MONITOR_PARENT_PID"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler")
    parser.add_argument("--run-id", type=int)
    parser.add_argument("--sources", default="", help="comma-separated source names")
    parser.add_argument("--settings", default="{}", help="JSON object of Scrapy settings")
    parser.add_argument("--spiders", default="feeds,sites,telegram,apis")

    args = parser.parse_args(argv)
    database_url = os.environ.get(DATABASE_URL_ENV)
    if not database_url:
        parser.error(f"{DATABASE_URL_ENV} is not set")
    guard = _hold_crawl_lock(database_url)
    if os.environ.get(PARENT_PID_ENV) and os.getppid() != int(os.environ[PARENT_PID_ENV]):
        print("the service that started this crawl is gone; not crawling", file=sys.stderr)
        return 1

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.update(json.loads(args.settings), priority="cmdline")
    settings.set("PRESS_MONITOR_DATABASE_URL", database_url, priority="cmdline")
    if args.run_id:
        settings.set("PRESS_MONITOR_RUN_ID", args.run_id, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = []
    for spider in args.spiders.split(","):
        crawler = process.create_crawler(spider)
        crawlers.append(crawler)
        process.crawl(crawler, sources=args.sources)
    _tune_gc()
    process.start()
    # Scrapy logs exceptions from callbacks and pipelines and carries on; a run that lost
    # data that way must not look successful to the caller. (A source that fails is not
    # such an error: it is recorded against the source.)
    errors = sum(
        (c.stats.get_value(key, 0) or 0)
        for c in crawlers
        if c.stats
        for key in ("spider_exceptions/count", "press_monitor/pipeline_errors")
    )
    if guard is not None:
        guard.close()
    return 1 if errors else 0


def _tune_gc() -> None:
    """Fewer garbage collections during the crawl: what start-up made (Scrapy, Twisted,
    SQLAlchemy, trafilatura and their modules) is frozen out of every later collection, and
    the youngest generation is collected every 10,000 allocations instead of 700. Twisted's
    Deferreds and Scrapy's requests are many short-lived objects: the default spent about
    6% of a crawl's CPU time in collections, this about 2%."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def _hold_crawl_lock(database_url: str) -> Any:
    """On PostgreSQL, a connection holding the shared crawl lock for this process's life."""
    if not database_url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine

    from storage.locks import CRAWL_KEY, advisory

    conn = create_engine(database_url).connect()
    advisory(conn, "pg_advisory_lock_shared", CRAWL_KEY)
    conn.commit()
    return conn


if __name__ == "__main__":
    sys.exit(main())
