"""A Scrapy extension so that `scrapy crawl NAME` works on its own from the repository.

The spiders read their sources from the database; this fills it from config.yaml
(PRESS_MONITOR_CONFIG, default ./config.yaml) before the crawl starts, and takes the
crawler's caps and fetch guard allow-list from the same file (extensions are built before
the settings are frozen and before the downloader middlewares read them). `press-monitor
collect` syncs the sources itself and disables this extension in the crawler it starts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


class SyncSourcesFromConfig:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SyncSourcesFromConfig:
        # Imported here: Scrapy imports every extension named in EXTENSIONS, even one that
        # `press-monitor collect` disables (None), and the config and wiring modules cost a
        # crawl a tenth of its CPU time.
        from monitor.config import load_config
        from monitor.wiring import LIMIT_SETTINGS, scrapy_settings, source_specs
        from storage.db import Database
        from storage.sources import sync_sources

        config = load_config(crawler.settings.get("PRESS_MONITOR_CONFIG"))
        db = Database(crawler.settings["PRESS_MONITOR_DATABASE_URL"])
        try:
            with db.session() as session:
                sync_sources(session, source_specs(config))
        finally:
            db.dispose()
        from_config = scrapy_settings(config)
        for key in LIMIT_SETTINGS:
            crawler.settings.set(key, from_config[key], priority="project")
        log.info("sources synced from config (%d)", len(config.sources))
        return cls()
