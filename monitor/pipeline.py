"""The pipeline stages and one full cycle: collect, analyze, alert, digest."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.runner import CollectionError, CrawlStopped, crawl
from crawler.sources import SPIDER_FOR_KIND
from monitor.config import Config
from monitor.instance import crawl_inheritance
from monitor.logcontext import set_run
from monitor.progress import Reporter, watch_sources
from monitor.wiring import digest_options, scrapy_settings, source_specs
from storage.db import Database
from storage.locks import STORIES_KEY, serialize
from storage.models import RunSourceStat, Source
from storage.runs import close_interrupted_runs, finish_run, start_run
from storage.sources import sync_sources

if TYPE_CHECKING:  # the analysis and digest stages load when they run, not for `collect`
    from alerts.digest import DigestOutcome
    from monitor.analysis import AnalysisReport

log = logging.getLogger("press_monitor.pipeline")


@dataclass
class CollectResult:
    run_id: int
    per_source: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None

    @property
    def failed_sources(self) -> list[str]:
        return [name for name, s in self.per_source.items() if s["errors"]]


@dataclass
class CycleResult:
    collect: CollectResult
    analysis: AnalysisReport
    digest: DigestOutcome


def close_stale_runs(db: Database) -> None:
    """At start-up, under the instance lock: runs a killed process left "running"."""
    with db.session() as session:
        closed = close_interrupted_runs(session)
    if closed:
        log.warning("closed %d run(s) left running by a stopped process as interrupted", closed)


def collect(
    db: Database,
    config: Config,
    sources: Sequence[str] = (),
    progress: Reporter | None = None,
    *,
    in_process: bool = False,
) -> CollectResult:
    """Fetch due sources; ``progress`` (a terminal's printer, or None) hears each source as
    it answers.

    ``in_process``: crawl in this process instead of a `python -m crawler` subprocess, for
    one-shot commands (`collect`, `run --once`) that have not run a crawl before: a Twisted
    reactor runs once per process (crawler/crawl.py). A crawl ended by SIGTERM or Ctrl-C
    is recorded as an interrupted run, then ``CrawlStopped`` is raised for the command to
    end."""
    with db.session() as session:
        sync_sources(session, source_specs(config))
        run = start_run(session, "collect")
        run_id, started = run.id, run.started_at
    set_run(run_id)
    error = None
    stopped: CollectionError | None = None
    try:
        with watch_sources(db, started, progress):
            if in_process:
                from crawler.crawl import crawl_here

                crawl_here(
                    db.url,
                    run_id,
                    scrapy_settings(config),
                    sources,
                    timeout=config.crawler.run_timeout_seconds,
                    spiders=_spiders(config, sources),
                )
            else:
                fds, env = crawl_inheritance()
                crawl(
                    db.url,
                    run_id,
                    scrapy_settings(config),
                    sources,
                    timeout=config.crawler.run_timeout_seconds,
                    inherit_fds=fds,
                    extra_env=env,
                    spiders=_spiders(config, sources),
                )
    except CollectionError as exc:
        error = str(exc)
        log.error("collection run %s failed: %s", run_id, exc)
        if isinstance(exc, CrawlStopped):
            stopped = exc
    with db.session() as session:
        per_source = _run_stats(session, run_id)
        totals = {
            k: sum(s[k] for s in per_source.values())
            for k in (
                "requests",
                "not_modified",
                "new",
                "updated",
                "errors",
                "article_errors",
                "api_units",
            )
        }
        status = "interrupted" if stopped else "failed" if error else "done"
        finish_run(session, run_id, status, totals)
    for name, stats in per_source.items():
        for reason in stats["error_reasons"]:
            log.warning("source %s: %s", name, reason, extra={"source": name})
    if stopped is not None:
        raise stopped
    return CollectResult(run_id, per_source, error)


def _spiders(config: Config, sources: Sequence[str]) -> list[str]:
    """Only the spiders the run's sources need (each costs a crawler's set-up)."""
    wanted = set(sources)
    kinds = {s.kind for s in config.sources if s.enabled and (not wanted or s.name in wanted)}
    return sorted({SPIDER_FOR_KIND[k] for k in kinds}) or ["feeds"]


def _run_stats(session: Session, run_id: int) -> dict[str, dict[str, Any]]:
    rows = session.execute(
        select(RunSourceStat, Source.name)
        .join(Source, Source.id == RunSourceStat.source_id)
        .where(RunSourceStat.run_id == run_id)
    ).all()
    return {
        name: {
            "requests": s.requests,
            "not_modified": s.not_modified,
            "new": s.new_items,
            "updated": s.updated_items,
            "errors": s.errors,
            "article_errors": s.article_errors,
            "api_units": s.api_units,
            "error_reasons": s.error_reasons,
            "overflow": dict(s.overflow or {}),
        }
        for s, name in rows
    }


def digest(db: Database, config: Config, base_dir: Path, force: bool = False) -> DigestOutcome:
    from alerts.digest import run_digest

    return run_digest(db, digest_options(config, base_dir), force=force)


def run_cycle(
    db: Database,
    config: Config,
    base_dir: Path,
    progress: Reporter | None = None,
    *,
    in_process: bool = False,
) -> CycleResult:
    """One full cycle; the caller holds the instance lock. ``in_process``: see ``collect``."""
    from monitor.analysis import analyze  # not at import: `collect` alone does not need it

    close_stale_runs(db)
    collected = collect(db, config, progress=progress, in_process=in_process)
    report = analyze(db, config, progress=progress)
    group_stories(db)
    outcome = digest(db, config, base_dir)
    return CycleResult(collected, report, outcome)


def group_stories(db: Database) -> int:
    """Near-duplicate grouping of new items, with the same folding as the analysis."""
    from alerts.stories import group_items
    from nlp.normalize import fold

    with db.session() as session:
        serialize(session, STORIES_KEY)
        return group_items(session, fold)
