"""The cluster's scheduler: one per cluster, elected by a PostgreSQL advisory lock.

It is the single-process service (monitor/service.py: APScheduler jobs, config reload,
shutdown) with other hands: where the service crawls, analyses and sends, the scheduler
only enqueues. Due sources go to the crawlers' start lists in Redis (crawler/cluster.py);
pending items, the digest and retention go to the workers as Dramatiq tasks
(monitor/tasks.py). Every ``cluster.dispatch_seconds`` it hands out the items that need
analysis; an item handed out and still pending later is handed out again only when the
task queue is empty (its task was lost with a restarted Redis), since tasks are idempotent.

Several schedulers may run (one per machine, for failover): each waits for the session
advisory lock ``SCHEDULER_KEY``, which PostgreSQL releases when its holder dies, however it
dies; the next in line then takes over the schedule.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_EXECUTED, JobEvent
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from crawler.cluster import start_key
from crawler.sources import SPIDER_FOR_KIND
from monitor.cluster import ClusterOptions
from monitor.config import Config
from monitor.service import Service, schedule_key
from monitor.tasks import ANALYSIS_QUEUE, Tasks
from monitor.wiring import ruleset, source_specs
from storage.analyses import pending_item_ids
from storage.locks import SCHEDULER_KEY, advisory
from storage.models import Source, utcnow
from storage.sources import sync_sources

log = logging.getLogger("press_monitor.scheduler")
DISPATCH_JOB = "dispatch"


class ClusterScheduler(Service):
    def __init__(self, config_path: Path, config: Config, options: ClusterOptions) -> None:
        super().__init__(config_path, config)
        import redis

        self.options = options
        self.redis = redis.Redis.from_url(options.redis_url)
        self.tasks = Tasks(options)
        self.leader = False
        self.jobs_done = 0
        self._handed_out: dict[int, float] = {}

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Wait to be the leader; hold the lock on its own connection until stopped."""
        conn = self.db.engine.connect()
        try:
            while not advisory(conn, "pg_try_advisory_lock", SCHEDULER_KEY):
                conn.commit()  # a standby: SIGTERM's default action ends it, nothing to lose
                time.sleep(self.options.heartbeat_seconds)
            conn.commit()
            self.leader = True
            log.info("this scheduler is the cluster's leader")
            yield
        finally:
            self.leader = False
            conn.close()  # the session lock goes with the connection

    # -- jobs: enqueue instead of doing ---------------------------------------------------
    def _collect(self, key: str) -> None:
        config = self.config
        names = [s.name for s in config.sources if s.enabled and schedule_key(s.schedule) == key]
        if not names:
            return
        with self.db.session() as session:
            sync_sources(session, source_specs(config))
            rows = session.execute(
                select(Source.id, Source.kind).where(Source.name.in_(names))
            ).all()
        by_spider: dict[str, list[bytes]] = {}
        for source_id, kind in rows:
            data = json.dumps({"source_id": source_id}).encode()
            by_spider.setdefault(SPIDER_FOR_KIND[kind], []).append(data)
        for spider, entries in by_spider.items():
            self.redis.rpush(start_key(self.options.prefix, spider), *entries)
        self.jobs_done += 1
        log.info("enqueued %d due sources for the crawlers", len(rows))

    def _dispatch(self) -> None:
        waited = utcnow() - timedelta(seconds=self.options.fulltext_wait_seconds)
        with self.db.session() as session:
            pending = pending_item_ids(session, ruleset(self.config).version, waited)
        now = time.monotonic()
        queue_empty = self.redis.llen(f"{self.options.prefix}:tasks:{ANALYSIS_QUEUE}") == 0
        fresh = [
            i
            for i in pending
            if i not in self._handed_out
            or (queue_empty and now - self._handed_out[i] > self.options.dead_after_seconds)
        ]
        self._handed_out = {i: self._handed_out.get(i, now) for i in pending}
        batch = self.options.analysis_batch
        for start in range(0, len(fresh), batch):
            self.tasks.analyze_items.send(fresh[start : start + batch])
        for item_id in fresh:
            self._handed_out[item_id] = now
        if fresh:
            self.jobs_done += 1
            log.info("handed out %d items for analysis", len(fresh))

    def _digest(self) -> None:
        self.tasks.send_digest.send()
        self.jobs_done += 1

    def _retention(self) -> None:
        self.tasks.purge_old.send()
        self.jobs_done += 1

    def _desired_jobs(self) -> dict[str, tuple[BaseTrigger, Any, tuple[Any, ...], str]]:
        jobs = super()._desired_jobs()
        seconds = self.options.dispatch_seconds
        jobs[DISPATCH_JOB] = (
            IntervalTrigger(seconds=seconds),
            self._dispatch,
            (),
            f"hand out pending items every {seconds:g} s",
        )
        return jobs

    def _on_event(self, event: JobEvent) -> None:
        """The dispatch runs every few seconds: only its failures are recorded."""
        if event.job_id == DISPATCH_JOB and event.code == EVENT_JOB_EXECUTED:
            return
        super()._on_event(event)

    def _shutdown(self) -> int:
        outcome = super()._shutdown()
        self.tasks.close()
        return outcome
