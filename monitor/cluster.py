"""A cluster's plumbing: its options, its task broker and its crawl settings.

Processes of one cluster share PostgreSQL (the data), and one Redis with two engines on it:
scrapy-redis for the crawl frontier (crawler/cluster.py) and Dramatiq for tasks
(monitor/tasks.py). Keys of both start with ``cluster.key_prefix``, so one Redis can serve
several installations, and a test can use a prefix of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dramatiq.brokers.redis import RedisBroker

# Out of a million broker commands, how many look for dead workers' unacknowledged tasks;
# Dramatiq's default (1,000) takes minutes to notice with a few idle workers, this takes
# seconds, and costs one sorted-set read when no worker is dead.
MAINTENANCE_CHANCE = 100_000


@dataclass(frozen=True)
class ClusterOptions:
    redis_url: str
    prefix: str
    heartbeat_seconds: float
    dead_after_seconds: float
    dispatch_seconds: float
    analysis_batch: int
    fulltext_wait_seconds: float
    worker_threads: int
    dupefilter_seconds: int


def make_broker(options: ClusterOptions) -> RedisBroker:
    """Dramatiq's Redis broker: a task is acknowledged when its actor returns (after its
    transaction committed), and a worker silent for ``dead_after_seconds`` loses its
    unacknowledged tasks to the others."""
    from dramatiq.brokers.redis import RedisBroker

    return RedisBroker(
        url=options.redis_url,
        namespace=f"{options.prefix}:tasks",
        heartbeat_timeout=int(options.dead_after_seconds * 1000),
        maintenance_chance=MAINTENANCE_CHANCE,
    )


def crawl_settings(options: ClusterOptions) -> dict[str, Any]:
    """Scrapy settings of a cluster crawler: scrapy-redis's scheduler with a leased queue
    and a shared duplicate filter (see crawler/cluster.py)."""
    prefix = options.prefix
    return {
        "SCHEDULER": "crawler.cluster.LeasedScheduler",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "crawler.cluster.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:%(spider)s:dupefilter",
        "DUPEFILTER_CLASS": "crawler.cluster.ExpiringDupeFilter",
        "REDIS_URL": options.redis_url,
        "REDIS_START_URLS_KEY": f"{prefix}:%(name)s:start_urls",
        "PRESS_MONITOR_CLUSTER_PREFIX": prefix,
        "PRESS_MONITOR_DEAD_AFTER": options.dead_after_seconds,
        "PRESS_MONITOR_DUPEFILTER_SECONDS": options.dupefilter_seconds,
        "SPIDER_MIDDLEWARES": {"crawler.cluster.LeaseMiddleware": 10},
        "EXTENSIONS": {
            "monitor.scrapy_sync.SyncSourcesFromConfig": None,
            "crawler.cluster.ClusterCrawl": 500,
        },
    }
