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
    parser.add_argument("--spiders", default="feeds")
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
    for spider in args.spiders.split(","):
        process.crawl(spider, sources=args.sources)
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
