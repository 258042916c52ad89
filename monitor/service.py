"""`press-monitor run`: the foreground service (first version: one cycle on an interval)."""

from __future__ import annotations

import logging
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler

from monitor.config import Config
from monitor.pipeline import run_cycle
from storage.db import Database

log = logging.getLogger("press_monitor.service")


def cycle_minutes(config: Config) -> int:
    intervals = [
        s.schedule.interval_minutes
        for s in config.sources
        if s.enabled and s.schedule.interval_minutes
    ]
    return min(intervals, default=60)


def serve_forever(config_path: Path, config: Config) -> None:
    db = Database(config.database_url)
    scheduler = BlockingScheduler(timezone=config.digest.timezone)

    def cycle() -> None:
        try:
            result = run_cycle(db, config, Path.cwd())
            log.info(
                "cycle done: %d analyzed, %d new alerts, digest %s",
                result.analysis.analyzed,
                len(result.analysis.new_alerts),
                result.digest.state,
            )
        except Exception:
            log.exception("cycle failed")

    scheduler.add_job(
        cycle,
        "interval",
        minutes=cycle_minutes(config),
        id="cycle",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=300,
    )
    scheduler.add_job(cycle, id="first-cycle")
    log.info("press-monitor service started with %s", config_path)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("stopping")
