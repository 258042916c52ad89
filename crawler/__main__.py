"""`python -m crawler`: one collection run in this process, then exit.

The service starts this as a subprocess for every collection, because a Twisted reactor
cannot be restarted within one process (one-shot commands crawl in their own process
instead: crawler/crawl.py). The database URL comes from the environment
(PRESS_MONITOR_DATABASE_URL), never from the command line, where `ps` would show its
password.

Started by a service (PRESS_MONITOR_PARENT_PID set), the crawl keeps that service's instance
lock held until it ends: on SQLite through the inherited lock file descriptor, on PostgreSQL
through a shared crawl lock taken here before any work, then checked against a parent that
died before it was taken.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from crawler.crawl import (
    count_failed_starts,
    crawl_errors,
    crawl_settings,
    hold_crawl_lock,
    log_level,
    set_crawl_log_levels,
    tune_gc,
)

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
    guard = hold_crawl_lock(database_url)
    if os.environ.get(PARENT_PID_ENV) and os.getppid() != int(os.environ[PARENT_PID_ENV]):
        print("the service that started this crawl is gone; not crawling", file=sys.stderr)
        return 1

    from scrapy.crawler import CrawlerProcess

    settings = crawl_settings(database_url, args.run_id, json.loads(args.settings))
    process = CrawlerProcess(settings)
    # Scrapy's root handler drops records under LOG_LEVEL; with the loggers at that level
    # they are not even made.
    logging.getLogger().setLevel(log_level(settings))
    set_crawl_log_levels(log_level(settings))
    crawlers = [process.create_crawler(spider) for spider in args.spiders.split(",")]
    failed = count_failed_starts(process, crawlers, args.sources.split(",") if args.sources else [])
    tune_gc()
    process.start()
    errors = crawl_errors(crawlers) + len(failed)
    if guard is not None:
        guard.close()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
