"""Scrapy settings for press-monitor's crawler.

Politeness first: robots.txt obeyed, AutoThrottle, few requests per domain, an honest
User-Agent. `press-monitor collect` overrides some of these from config.yaml.
"""

import os
from importlib.util import find_spec

from scrapy.settings import default_settings

BOT_NAME = "press-monitor"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

PRESS_MONITOR_DATABASE_URL = os.environ.get(
    "PRESS_MONITOR_DATABASE_URL", "sqlite:///data/press-monitor.db"
)
PRESS_MONITOR_CONFIG = os.environ.get("PRESS_MONITOR_CONFIG", "config.yaml")
PRESS_MONITOR_RUN_ID = None
PRESS_MONITOR_CONTACT_URL = "https://example.invalid/press-monitor"

# Twisted's asyncio reactor (Scrapy's default) over uvloop's event loop where it is installed
# (everywhere but Windows): the loop's own work per callback in C. About 5% less CPU per
# crawl, measured with bench/bench_collect.py; the standard loop otherwise.
ASYNCIO_EVENT_LOOP = "uvloop.Loop" if find_spec("uvloop") else None

USER_AGENT = f"press-monitor/0.1 (+{PRESS_MONITOR_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Items per response are few; Scrapy starts this many workers per response, so keep it low.
CONCURRENT_ITEMS = 8

DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5_000_000
DOWNLOAD_WARNSIZE = 0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote-control HTTP server (on by default, like the telnet console): a
# listening port and a token file per crawl that nothing here uses.
REMOTE_CONTROL_ENABLED = False
# A development aid that parses the source of a callback with `ast` on every response (its
# cache is keyed by the bound method, a new object each time): 3% of a crawl's CPU time.
WARN_ON_GENERATOR_RETURN_VALUE = False
HTTPCACHE_ENABLED = False
LOG_LEVEL = "INFO"

RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 30.0

ITEM_PIPELINES = {"crawler.pipelines.StoragePipeline": 300}
PRESS_MONITOR_ALLOW_PRIVATE_HOSTS: list[str] = []
# Components the crawl does not use. Scrapy 2.19 imports every component a settings dict
# names, a disabled one (None) included, before it can say it is not configured; so these
# are taken out of Scrapy's own *_BASE lists instead (what a Scrapy upgrade adds stays).
UNUSED_COMPONENTS = {
    # depth bookkeeping (no depth limit is used; spiders follow one level of links) and the
    # Referer header, both run on every request and response
    "scrapy.spidermiddlewares.depth.DepthMiddleware",
    "scrapy.spidermiddlewares.referer.RefererMiddleware",
    # a development aid (warns when a spider copies Scrapy's internal meta keys into a new
    # request), run on every request a callback yields
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware",
    # HTTP basic auth (no spider sets http_user; API keys travel in their own headers) and
    # byte counts in the stats (nothing reads them)
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware",
    "scrapy.downloadermiddlewares.stats.DownloaderStats",
    # no spider sets allowed_domains (feeds link to any host; the fetch guard decides), so
    # the offsite check passes every request
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware",
    # cookies are off (COOKIES_ENABLED); its module imports tldextract
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
    # the remote-control server (REMOTE_CONTROL_ENABLED is off) imports aiohttp: about 2%
    # of a collection's CPU time; no feed export (FEEDS), job directory (JOBDIR), memory
    # debugging or telnet console is used
    "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.extensions.feedexport.FeedExporter",
    "scrapy.extensions.spiderstate.SpiderState",
    "scrapy.extensions.memdebug.MemoryDebugger",
    "scrapy.extensions.telnet.TelnetConsole",
}


def _without_unused(base: dict[str, int | None]) -> dict[str, int | None]:
    return {path: order for path, order in base.items() if path not in UNUSED_COMPONENTS}


SPIDER_MIDDLEWARES_BASE = _without_unused(default_settings.SPIDER_MIDDLEWARES_BASE)
DOWNLOADER_MIDDLEWARES_BASE = _without_unused(default_settings.DOWNLOADER_MIDDLEWARES_BASE)
EXTENSIONS_BASE = _without_unused(default_settings.EXTENSIONS_BASE)
DOWNLOADER_MIDDLEWARES = {
    # before robots.txt (100), so not even robots.txt is fetched from an internal address
    "crawler.guard.FetchGuardMiddleware": 50,
    "crawler.guard.CredentialRedirectMiddleware": 55,
    "crawler.middlewares.RetryBackoffMiddleware": 560,
}
# Fills the sources table from config.yaml, so `scrapy crawl feeds` works on its own;
# `press-monitor collect` syncs itself and turns this off.
EXTENSIONS = {"monitor.scrapy_sync.SyncSourcesFromConfig": 100}
