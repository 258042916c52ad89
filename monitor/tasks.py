"""The cluster's tasks, on Dramatiq: analysis (with story grouping), the digest, retention.

Why Dramatiq (README, "Deployment"): its Redis broker acknowledges a message only when the
actor returns, keeps every message a worker has taken in that worker's acknowledgement set,
and gives the messages of a worker whose heartbeat stopped back to the queue; so a worker
killed with SIGKILL loses nothing. A task may then run twice, so every task is idempotent:

- ``analyze_items(ids)`` analyses those of ``ids`` still pending under the current rules
  (monitor/analysis.py, filtered by ``pending_items``): a second run finds nothing to do.
  Analyses are unique per item, alerts unique per item (created under a transaction lock),
  stories grouped one worker at a time;
- ``send_digest`` is ``run_digest``: a period is claimed in the database before sending;
- ``purge_old`` purges what is past retention, which a second run finds already purged.

Tasks take item ids, never texts: the database is the truth, the queue only says where to
look. Each worker process loads config.yaml itself and rebuilds its analyzer when the file
changes, as the scheduler does.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from monitor.cluster import ClusterOptions, make_broker

log = logging.getLogger("press_monitor.tasks")

ANALYSIS_QUEUE = "analysis"
SERVICE_QUEUE = "service"
# Retries of a task that failed (a database restart, a lock timeout): soon, then less often.
RETRY_OPTIONS = {"max_retries": 20, "min_backoff": 500, "max_backoff": 60_000}


@dataclass
class WorkerState:
    """What a worker process keeps between tasks."""

    config_path: Path
    base_dir: Path
    config: Any = None
    db: Any = None
    analyzer: Any = None
    config_hash: str = ""
    work_done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> None:
        """Load config.yaml again when it changed (a refused change keeps the last one)."""
        from monitor.config import ConfigError, load_config
        from monitor.wiring import ruleset
        from nlp.analyzer import Analyzer
        from storage.db import Database

        digest = _file_hash(self.config_path)
        if digest == self.config_hash and self.config is not None:
            return
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            if self.config is None:
                raise
            log.error("config change refused; the last good config stays in force:\n%s", exc)
            self.config_hash = digest
            return
        self.config, self.config_hash = config, digest
        if self.db is None:
            self.db = Database(config.database_url)
        self.analyzer = Analyzer(ruleset(config))


_state: WorkerState | None = None


def _current() -> WorkerState:
    if _state is None:
        raise RuntimeError("tasks run only in a worker (press-monitor run --role worker)")
    with _state.lock:
        _state.refresh()
    return _state


def analyze_items(item_ids: list[int]) -> None:
    """Analyse those of ``item_ids`` that still need it, create their alerts, group them."""
    from monitor.analysis import analyze
    from monitor.pipeline import group_stories

    state = _current()
    report = analyze(state.db, state.config, analyzer=state.analyzer, item_ids=item_ids)
    group_stories(state.db)
    with state.lock:
        state.work_done += report.analyzed + report.kept


def send_digest() -> None:
    from monitor.pipeline import digest

    state = _current()
    outcome = digest(state.db, state.config, state.base_dir)
    log.info("digest: %s%s", outcome.state, f" ({outcome.error})" if outcome.error else "")
    with state.lock:
        state.work_done += 1


def purge_old() -> None:
    from storage.models import utcnow
    from storage.retention import purge

    state = _current()
    before = utcnow() - timedelta(days=state.config.retention_days)
    with state.db.session() as session:
        purged = purge(session, before)
    log.info("retention: purged the text of %d items older than %s", purged, before)


class Tasks:
    """The actors, declared on one broker (no global broker: the scheduler and the workers
    each build theirs from the config)."""

    def __init__(self, options: ClusterOptions) -> None:
        import dramatiq

        self.broker = make_broker(options)
        self.analyze_items = dramatiq.actor(
            analyze_items, broker=self.broker, queue_name=ANALYSIS_QUEUE, **RETRY_OPTIONS
        )
        self.send_digest = dramatiq.actor(
            send_digest, broker=self.broker, queue_name=SERVICE_QUEUE, **RETRY_OPTIONS
        )
        self.purge_old = dramatiq.actor(
            purge_old, broker=self.broker, queue_name=SERVICE_QUEUE, **RETRY_OPTIONS
        )

    def close(self) -> None:
        self.broker.close()


def start_worker(
    options: ClusterOptions, config_path: Path, base_dir: Path
) -> tuple[Any, WorkerState]:
    """A Dramatiq worker consuming every queue in this process, and the state its heartbeat
    reads."""
    import dramatiq

    global _state
    _state = WorkerState(config_path, base_dir)
    _state.refresh()
    tasks = Tasks(options)
    worker = dramatiq.Worker(
        tasks.broker, worker_threads=options.worker_threads, worker_timeout=1000
    )
    worker.start()
    return worker, _state


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
