"""`press-monitor run`: the unattended service.

APScheduler 3 runs, in the background, one collection job per distinct source schedule
(each followed by analysis and story grouping), the digest on its cron schedule, retention
daily, the learned model's retraining on ``learning.schedule`` (verdicts plus
``learning.seeds``; a refused model is logged and the current one stays), and a watch on
config.yaml. The main thread waits for SIGTERM or SIGINT; then no new
job starts, running work gets half the shutdown timeout to finish, crawls are then asked to
stop at a safe point, and what still runs at the deadline is killed.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import undefined

from alerts.crontab import cron_trigger
from crawler.runner import stop_all
from monitor.analysis import analyze
from monitor.config import Config, ConfigError, Schedule, load_config
from monitor.instance import InstanceLock
from monitor.logcontext import job_context
from monitor.pipeline import close_stale_runs, collect, digest, group_stories
from storage.db import Database
from storage.models import utcnow
from storage.retention import purge
from storage.service_jobs import clear_jobs, publish_jobs, record_job_run

log = logging.getLogger("press_monitor.service")

EXIT_CLEAN = 0  # nothing was running, or running work finished
EXIT_STOPPED = 3  # running work was asked to stop at a safe point, and did
EXIT_KILLED = 4  # work still running at the deadline was killed
WATCH_JOB = "config-watch"


def schedule_key(schedule: Schedule) -> str:
    if schedule.interval_minutes is not None:
        return f"every-{schedule.interval_minutes:g}m"
    return "cron-" + (schedule.cron or "").replace(" ", "_")


class Service:
    def __init__(self, config_path: Path, config: Config) -> None:
        self.config_path = config_path
        self.config = config
        self.config_hash = _file_hash(config_path)
        self.db = Database(config.database_url)
        self.stop = threading.Event()
        self.analysis_lock = threading.Lock()
        self._active = 0
        self._active_changed = threading.Condition()
        self.scheduler = BackgroundScheduler(
            timezone=config.digest.timezone,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": config.service.misfire_grace_seconds,
            },
        )

    # -- running ------------------------------------------------------------------------
    def run(self) -> int:
        with self._exclusive():
            previous = {
                s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)
            }
            try:
                self.scheduler.add_listener(
                    self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
                )
                self.scheduler.start()
                self._sync_jobs()
                self.scheduler.add_job(
                    self._watch_config,
                    IntervalTrigger(seconds=self.config.service.config_check_seconds),
                    id=WATCH_JOB,
                )
                log.info("press-monitor service started with %s", self.config_path)
                while not self.stop.wait(timeout=1.0):
                    pass
                return self._shutdown()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
                self.db.dispose()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One service per database: the instance lock, then the runs a killed service left
        open are closed."""
        with InstanceLock(self.db):
            close_stale_runs(self.db)
            yield

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        self.stop.set()

    def _shutdown(self) -> int:
        self.scheduler.pause()
        timeout = self.config.service.shutdown_timeout_seconds
        deadline = time.monotonic() + timeout
        outcome = EXIT_CLEAN
        if not self._wait_idle(time.monotonic() + timeout / 2):
            outcome = EXIT_STOPPED
            if not stop_all(deadline):
                outcome = EXIT_KILLED
            if not self._wait_idle(deadline):
                outcome = EXIT_KILLED
        self.scheduler.shutdown(wait=False)
        with self.db.session() as session:
            clear_jobs(session)
        log.info(
            "service stopped (%s)",
            {
                EXIT_CLEAN: "all work finished",
                EXIT_STOPPED: "running work stopped at a safe point",
                EXIT_KILLED: "running work killed",
            }[outcome],
        )
        return outcome

    def _wait_idle(self, deadline: float) -> bool:
        with self._active_changed:
            while self._active:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._active_changed.wait(timeout=remaining)
        return True

    def _tracked(self, job_id: str, work: Any, *args: Any) -> None:
        """Run one job's work, counted as active so shutdown can wait for it."""
        if self.stop.is_set():
            return
        with self._active_changed:
            self._active += 1
        try:
            with job_context(job_id):
                work(*args)
        finally:
            with self._active_changed:
                self._active -= 1
                self._active_changed.notify_all()

    # -- jobs -----------------------------------------------------------------------------
    def _collect(self, key: str) -> None:
        config = self.config
        names = [s.name for s in config.sources if s.enabled and schedule_key(s.schedule) == key]
        if not names:
            return
        result = collect(self.db, config, names)
        log.info(
            "collected %s: %d new, %d updated, %d failing",
            ", ".join(names),
            sum(s["new"] for s in result.per_source.values()),
            sum(s["updated"] for s in result.per_source.values()),
            len(result.failed_sources),
        )
        if not self.stop.is_set():
            self._analyze()

    def _analyze(self) -> None:
        with self.analysis_lock:
            report = analyze(self.db, self.config, stop=self.stop)
            group_stories(self.db)
        log.info(
            "analyzed %d items (%d kept), %d flagged, %d new alerts",
            report.analyzed,
            report.kept,
            report.flagged,
            len(report.new_alerts),
        )

    def _digest(self) -> None:
        outcome = digest(self.db, self.config, Path.cwd())
        log.info("digest: %s%s", outcome.state, f" ({outcome.error})" if outcome.error else "")

    def _bulletin(self) -> None:
        from alerts.bulletin import run_bulletin
        from monitor.wiring import bulletin_options

        outcome = run_bulletin(self.db, bulletin_options(self.config, Path.cwd()))
        log.info(
            "press bulletin: %s%s",
            outcome.state,
            "".join(f", {state}: {len(emails)}" for state, emails in outcome.deliveries.items()),
        )
        for error in outcome.errors:
            log.warning("press bulletin: %s", error)

    def _intake(self) -> None:
        from monitor.intake import intake_cycle

        with self.analysis_lock:
            result, acknowledged, report = intake_cycle(self.db, self.config)
        log.info(
            "tip line: %d new tips, %d unreadable, %d acknowledged, %d flagged",
            result.stored,
            len(result.errors),
            acknowledged,
            report.flagged,
        )

    def _retention(self) -> None:
        before = utcnow() - timedelta(days=self.config.retention_days)
        with self.db.session() as session:
            purged = purge(session, before)
        log.info("retention: purged the text of %d items older than %s", purged, before)

    def _learn(self) -> None:
        from monitor.learning import describe, learn
        from monitor.wiring import learning_options

        with self.analysis_lock:
            outcome = learn(self.db, learning_options(self.config))
        summary = "; ".join(describe(outcome))
        if outcome.refused is None:
            log.info("learning: %s", summary)
        elif outcome.refused[0] == "too_few":  # a new office has no verdicts yet
            log.info("learning: nothing learned yet: %s; %s", outcome.refused[1], summary)
        else:
            log.warning(
                "learning: refused, the current model stays: %s; %s", outcome.refused[1], summary
            )

    def _watch_config(self) -> None:
        with job_context(WATCH_JOB):
            self._reload_if_changed()

    def _reload_if_changed(self) -> None:

        digest_now = _file_hash(self.config_path)
        if digest_now == self.config_hash:
            return
        self.config_hash = digest_now
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("config change refused; the last good config stays in force:\n%s", exc)
            return
        if new.database_url != self.config.database_url:
            log.warning("database_url changed: it takes effect on restart only")
            new = new.model_copy(update={"database_url": self.config.database_url})
        self.config = new
        self._sync_jobs()
        log.info(
            "config reloaded: %d sources, %d keyword lists", len(new.sources), len(new.keywords)
        )

    # -- schedule bookkeeping ---------------------------------------------------------------
    def _desired_jobs(self) -> dict[str, tuple[BaseTrigger, Any, tuple[Any, ...], str]]:
        config = self.config
        tz = config.digest.timezone
        jobs: dict[str, tuple[BaseTrigger, Any, tuple[Any, ...], str]] = {}
        for source in config.sources:
            if not source.enabled:
                continue
            key = schedule_key(source.schedule)
            job_id = f"collect:{key}"
            if job_id in jobs:
                continue
            trigger = _trigger(source.schedule, tz)
            jobs[job_id] = (trigger, self._collect, (key,), f"collect sources {key}")
        if config.intake is not None:
            jobs["intake"] = (
                _trigger(config.intake.schedule, tz),
                self._intake,
                (),
                "tip line mailbox",
            )
        jobs["digest"] = (
            cron_trigger(config.digest.schedule, timezone=tz),
            self._digest,
            (),
            f"digest at {config.digest.schedule}",
        )
        if any(c.opt_in for c in config.press_contacts):
            jobs["bulletin"] = (
                cron_trigger(config.bulletin.schedule, timezone=tz),
                self._bulletin,
                (),
                f"press bulletin at {config.bulletin.schedule}",
            )
        jobs["retention"] = (
            cron_trigger(config.service.retention_schedule, timezone=tz),
            self._retention,
            (),
            f"retention at {config.service.retention_schedule}",
        )
        if config.learning.schedule is not None:
            jobs["learn"] = (
                cron_trigger(config.learning.schedule, timezone=tz),
                self._learn,
                (),
                f"learning at {config.learning.schedule}",
            )
        return jobs

    def _sync_jobs(self) -> None:
        desired = self._desired_jobs()
        for job in self.scheduler.get_jobs():
            if job.id != WATCH_JOB and job.id not in desired:
                job.remove()
        now = datetime.now(UTC)
        for job_id, (trigger, work, args, _) in desired.items():
            existing = self.scheduler.get_job(job_id)
            if existing is None:
                # Collections start at once (a new source too); the rest on schedule.
                self.scheduler.add_job(
                    self._tracked,
                    trigger,
                    args=(job_id, work, *args),
                    id=job_id,
                    name=job_id,
                    next_run_time=now if job_id.startswith("collect:") else undefined,
                )
            elif str(existing.trigger) != str(trigger):
                existing.reschedule(trigger)
        self._publish()

    def _publish(self) -> None:
        jobs = {}
        descriptions = {job_id: spec[3] for job_id, spec in self._desired_jobs().items()}
        for job in self.scheduler.get_jobs():
            if job.id == WATCH_JOB:
                continue
            next_run = job.next_run_time
            jobs[job.id] = (
                descriptions.get(job.id, job.id),
                next_run.astimezone(UTC).replace(tzinfo=None) if next_run else None,
            )
        with self.db.session() as session:
            publish_jobs(session, jobs)

    def _on_event(self, event: JobEvent) -> None:
        if event.job_id == WATCH_JOB or self.stop.is_set():
            return
        if event.code == EVENT_JOB_ERROR:
            # APScheduler 3 gives the traceback as text: as a tb it made a logging error
            log.error("job %s failed: %s\n%s", event.job_id, event.exception, event.traceback)
            outcome = f"error: {event.exception}"
        elif event.code == EVENT_JOB_MISSED:
            outcome = "missed (past the misfire grace time)"
        else:
            outcome = "ok"
        try:
            with self.db.session() as session:
                record_job_run(session, event.job_id, outcome)
            self._publish()
        except Exception:  # bookkeeping must never stop the service
            log.exception("could not record job %s", event.job_id)


def _trigger(schedule: Schedule, tz: str) -> BaseTrigger:
    if schedule.interval_minutes is not None:
        return IntervalTrigger(seconds=schedule.interval_minutes * 60, timezone=tz)
    return cron_trigger(schedule.cron or "", timezone=tz)


def _file_hash(path: Path) -> str:

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def serve_forever(config_path: Path, config: Config) -> int:
    return Service(config_path, config).run()
