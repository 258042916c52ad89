"""`python -m crawler`: one collection run in this process, then exit.

The service starts this as a subprocess for every collection, because a Twisted reactor
cannot be restarted within one process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--run-id", type=int)
    parser.add_argument("--sources", default="", help="comma-separated source names")
    parser.add_argument("--settings", default="{}", help="JSON object of Scrapy settings")
    parser.add_argument("--spiders", default="feeds,sites,telegram,apis")

    args = parser.parse_args(argv)

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.update(json.loads(args.settings), priority="cmdline")
    settings.set("PRESS_MONITOR_DATABASE_URL", args.database_url, priority="cmdline")
    if args.run_id:
        settings.set("PRESS_MONITOR_RUN_ID", args.run_id, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = []
    for spider in args.spiders.split(","):
        crawler = process.create_crawler(spider)
        crawlers.append(crawler)
        process.crawl(crawler, sources=args.sources)
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
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
