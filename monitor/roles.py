"""`press-monitor run --role scheduler|crawler|worker`: the processes of a cluster.

Without ``cluster.redis_url`` there is no cluster: `run` is the single-process service, and
``--role`` is refused. With it, each role is a process of its own (they scale apart, and a
crawler's Twisted reactor owns its process): one role runs here; several (or none named:
all three) are started as child processes, one per role, and stopped together.

Every role records a heartbeat (storage/cluster.py) with its work done: items stored by a
crawler, items analysed by a worker, jobs enqueued by the scheduler; `status` lists them.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from crawler.sources import SPIDER_FOR_KIND
from monitor.cluster import ClusterOptions, crawl_settings
from monitor.config import Config

log = logging.getLogger("press_monitor.roles")
ROLES = ("scheduler", "crawler", "worker")
DATABASE_URL_ENV = "PRESS_MONITOR_DATABASE_URL"
SPIDERS = tuple(sorted(set(SPIDER_FOR_KIND.values())))  # a crawler runs every spider


class Heartbeat(threading.Thread):
    """Writes this process's row every ``interval`` seconds until stopped, then removes it."""

    def __init__(
        self,
        database_url: str,
        role: str,
        interval: float,
        work_done: Callable[[], int],
        leader: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(name=f"heartbeat-{role}", daemon=True)
        from storage.db import Database

        self.db = Database(database_url, migrate=False)
        self.role, self.interval = role, interval
        self.work_done, self.leader = work_done, leader
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.halt = threading.Event()

    def run(self) -> None:
        from storage.cluster import beat, forget_dead, leave

        while True:
            try:
                with self.db.session() as session:
                    beat(session, self.role, self.host, self.pid, self.work_done(), self.leader())
                    forget_dead(session, timedelta(days=1))
            except Exception:  # a database hiccup must not end the process's heartbeats
                log.exception("heartbeat not recorded")
            if self.halt.wait(self.interval):
                break
        with self.db.session() as session:
            leave(session, self.role, self.host, self.pid)
        self.db.dispose()

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=10)


def run_roles(config_path: Path, config: Config, roles: Sequence[str]) -> int:
    """Run the named roles (all when none): the exit code of the process."""
    from monitor.wiring import cluster_options

    options = cluster_options(config)
    if options is None:
        raise RoleError(
            "run --role needs a cluster: set cluster.redis_url in the config or "
            "PRESS_MONITOR_REDIS_URL (without them, `run` alone runs everything in one process)"
        )
    wanted = list(dict.fromkeys(roles or ROLES))
    if len(wanted) > 1:
        return _supervise(config_path, wanted)
    role = wanted[0]
    if role == "scheduler":
        return _run_scheduler(config_path, config, options)
    if role == "crawler":
        return _run_crawler(config, options)
    return _run_worker(config_path, config, options)


class RoleError(RuntimeError):
    """The roles cannot run with this config."""


def _run_scheduler(config_path: Path, config: Config, options: ClusterOptions) -> int:
    from monitor.leader import ClusterScheduler

    scheduler = ClusterScheduler(config_path, config, options)
    heartbeat = Heartbeat(
        config.database_url,
        "scheduler",
        options.heartbeat_seconds,
        lambda: scheduler.jobs_done,
        lambda: scheduler.leader,
    )
    heartbeat.start()
    try:
        return scheduler.run()
    finally:
        heartbeat.stop()


def _run_worker(config_path: Path, config: Config, options: ClusterOptions) -> int:
    from monitor.tasks import start_worker
    from storage.db import Database

    Database(config.database_url).dispose()  # migrate once, before the tasks run
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    worker, state = start_worker(options, config_path, Path.cwd())
    heartbeat = Heartbeat(
        config.database_url, "worker", options.heartbeat_seconds, lambda: state.work_done
    )
    heartbeat.start()
    log.info("worker started (%d threads)", options.worker_threads)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        worker.stop(timeout=int(config.service.shutdown_timeout_seconds * 1000))
        heartbeat.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _run_crawler(config: Config, options: ClusterOptions) -> int:
    """A long-running Scrapy process on the shared frontier; SIGTERM stops it after what
    is in flight (Scrapy's own handling), and its unfinished leases go back to the queue."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    os.environ[DATABASE_URL_ENV] = config.database_url
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.cluster import cluster_spider
    from monitor.wiring import scrapy_settings
    from storage.db import Database

    Database(config.database_url).dispose()  # migrate once, before the spiders open it
    settings = get_project_settings()
    settings.update(scrapy_settings(config), priority="cmdline")
    settings.update(crawl_settings(options), priority="cmdline")
    settings.set("PRESS_MONITOR_DATABASE_URL", config.database_url, priority="cmdline")
    # this process's logging stays the CLI's (--log-level, --log-format); Scrapy's own
    # loggers at the crawler's LOG_LEVEL, as in a single-process crawl
    level = logging.getLogger().level
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    logging.getLogger().setLevel(level)
    for name in ("scrapy", "trafilatura", "py.warnings", *SPIDERS):
        logging.getLogger(name).setLevel(settings.get("LOG_LEVEL"))
    # scrapy-redis 0.9.1 still uses Spider.log and passes the spider to Scrapy 2.19's stats:
    # deprecated, and working
    warnings.filterwarnings("ignore", message="Passing a 'spider' argument")
    warnings.filterwarnings("ignore", message=r"Spider\.log\(\) is deprecated")
    crawlers = []
    for name in SPIDERS:
        crawler = process.create_crawler(cluster_spider(process.spider_loader.load(name)))
        crawlers.append(crawler)
        process.crawl(crawler)

    def stored() -> int:
        return sum(
            int(c.stats.get_value("item_scraped_count", 0) or 0) for c in crawlers if c.stats
        )

    heartbeat = Heartbeat(config.database_url, "crawler", options.heartbeat_seconds, stored)
    heartbeat.start()
    try:
        process.start()
    finally:
        heartbeat.stop()
    return 0


def _supervise(config_path: Path, roles: list[str]) -> int:
    """One child process per role; a signal is passed on to all; when one ends, the others
    are stopped (a supervisor such as systemd restarts the whole)."""
    base = [sys.executable, "-m", "monitor", "--config", str(config_path), "run"]
    children = [subprocess.Popen([*base, "--role", role]) for role in roles]
    ended = threading.Event()

    def forward(signum: int, _frame: Any) -> None:
        ended.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not ended.is_set() and all(c.poll() is None for c in children):
            ended.wait(1.0)
        for child in children:
            if child.poll() is None:
                child.terminate()
        return max(child.wait() for child in children)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
