"""One crawl: Scrapy settings, the crawlers, the errors they counted; in a process of its own
(`python -m crawler`, see crawler/runner.py) or in the calling process (``crawl_here``).

``crawl_here`` is for one-shot processes (`press-monitor collect`, `run --once`): it saves
the second interpreter and its imports (Scrapy, Twisted, SQLAlchemy, trafilatura loaded
twice), about a tenth of a collection's CPU time. A Twisted reactor cannot be restarted, so
it runs at most once per process; the long-running service keeps a subprocess per run. It
keeps what the subprocess gives:

- the run timeout: at the deadline the crawl is asked to stop (in-flight requests finish,
  buffered items are stored), and the reactor is stopped ``STOP_GRACE_SECONDS`` later if
  that has not ended it; the run fails with the reason (``CollectionError``);
- errors counted: spider exceptions and pipeline errors fail the run, as a non-zero exit of
  the subprocess does;
- SIGTERM and Ctrl-C (SIGINT) finish in-flight work and end the crawl (a second signal
  stops at once); the caller records the run and ends (``CrawlStopped``);
- the database URL never reaches a command line (there is none);
- locks: the caller holds its instance lock itself; on PostgreSQL the shared crawl lock is
  taken here as the subprocess takes it, so no service starts beside a running crawl.

Scrapy's logging set-up (a root handler, its own levels) is not installed: the caller's
logging stays, and the crawl's loggers are held at the crawl's LOG_LEVEL while it runs.
Signal handlers, logger levels and garbage-collector thresholds are restored afterwards.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from crawler import GC_THRESHOLDS
from crawler.runner import CollectionError, CrawlStopped

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10.0
# Loggers that a crawl writes to, held at the crawl's LOG_LEVEL while it runs, or at the
# floor Scrapy gives them when higher (its DEFAULT_LOGGING).
CRAWL_LOGGERS = {
    "scrapy": logging.NOTSET,
    "crawler": logging.NOTSET,
    "trafilatura": logging.NOTSET,
    "htmldate": logging.NOTSET,
    "courlan": logging.NOTSET,
    "justext": logging.NOTSET,
    "twisted": logging.ERROR,
    "filelock": logging.ERROR,
    "hpack": logging.ERROR,
    "httpcore": logging.ERROR,
    "parso": logging.ERROR,
    "httpx": logging.WARNING,
}
_ran = False


def crawl_settings(database_url: str, run_id: int | None, overrides: dict[str, Any]) -> Any:
    """The project's Scrapy settings with the caller's overrides (`python -m crawler
    --settings`), the database URL and the run id, all at command-line priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.settings import BaseSettings
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for key, value in overrides.items():
        current = settings.get(key)
        if isinstance(value, dict) and isinstance(current, BaseSettings):
            # a component dict (EXTENSIONS, ...) is merged into the project's, not put in
            # its place: turning one extension off keeps the project's other entries
            current.update(value, priority="cmdline")
        else:
            settings.set(key, value, priority="cmdline")
    settings.set("PRESS_MONITOR_DATABASE_URL", database_url, priority="cmdline")
    if run_id:
        settings.set("PRESS_MONITOR_RUN_ID", run_id, priority="cmdline")
    return settings


def crawl_errors(crawlers: Sequence[Any]) -> int:
    """Exceptions in callbacks and pipelines: Scrapy logs them and carries on; a run that
    lost data that way must not look successful. (A source that fails is not such an
    error: it is recorded against the source.)"""
    return sum(
        (c.stats.get_value(key, 0) or 0)
        for c in crawlers
        if c.stats
        for key in ("spider_exceptions/count", "press_monitor/pipeline_errors")
    )


def tune_gc() -> tuple[int, int, int]:
    """Fewer garbage collections during the crawl: what start-up made (Scrapy, Twisted,
    SQLAlchemy, trafilatura and their modules) is frozen out of every later collection, and
    the youngest generation is collected every 10,000 allocations instead of 700. Twisted's
    Deferreds and Scrapy's requests are many short-lived objects: the default spent about
    6% of a crawl's CPU time in collections, this about 2%. Returns the thresholds before."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return before


def hold_crawl_lock(database_url: str) -> Any:
    """On PostgreSQL, a connection holding the shared crawl lock (None elsewhere): a new
    service instance does not start while a crawl holds it (monitor/instance.py)."""
    if not database_url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from storage.locks import CRAWL_KEY, advisory

    # NullPool: closing the connection ends the session, and the lock with it
    conn = create_engine(database_url, poolclass=NullPool).connect()
    advisory(conn, "pg_advisory_lock_shared", CRAWL_KEY)
    conn.commit()
    return conn


def crawl_here(
    database_url: str,
    run_id: int,
    settings: dict[str, Any],
    sources: Sequence[str] = (),
    timeout: float | None = None,
    spiders: Sequence[str] = (),
) -> None:
    """One crawl in this process (see the module docstring); raises ``CollectionError`` for
    a run that must fail (``CrawlStopped`` when a signal ended it)."""
    global _ran
    if _ran:
        raise CollectionError(
            "a crawl already ran in this process; a Twisted reactor cannot restart"
        )
    _ran = True
    # Round trip through JSON, as `python -m crawler --settings` receives them.
    overrides = json.loads(json.dumps(settings))
    log.debug("collection run %s: crawling in this process", run_id)
    try:
        lock = hold_crawl_lock(database_url)
    except Exception as exc:  # the run is recorded as failed, not left running
        raise CollectionError(
            f"the shared crawl lock could not be taken: {type(exc).__name__}: {exc}"
        ) from exc
    try:
        errors, timed_out, signum = _run(
            database_url, run_id, overrides, sources, timeout, spiders or ["feeds"]
        )
    except Exception as exc:  # as a crawler subprocess that dies: the run fails, with why
        log.exception("the crawl failed")
        raise CollectionError(f"the crawl failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if lock is not None:
            lock.close()
    if signum is not None:
        raise CrawlStopped(signum)
    if timed_out:
        raise CollectionError(
            f"crawler exceeded the run timeout of {timeout:g} s; the crawl was stopped"
        )
    if errors:
        raise CollectionError(
            f"the crawl counted {errors} error(s) in crawlers that could not start, spider "
            "callbacks or the storage pipeline (logged above)"
        )


def _run(
    database_url: str,
    run_id: int,
    overrides: dict[str, Any],
    sources: Sequence[str],
    timeout: float | None,
    spiders: Sequence[str],
) -> tuple[int, bool, int | None]:
    from scrapy.utils.reactor import install_reactor

    settings = crawl_settings(database_url, run_id, overrides)
    install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
    # Imported here, once the reactor is in, rather than when the engine loads its download
    # handlers: Scrapy's deprecated-class shims in it call inspect.stack(), which reads the
    # source of every frame on the stack, and there the stack is twice as deep (Twisted's
    # deferreds). About 40 ms of CPU less in every crawl's start-up.
    import scrapy.core.downloader.contextfactory  # noqa: F401
    from scrapy.crawler import CrawlerRunner
    from scrapy.utils.misc import build_from_crawler, load_object
    from twisted.internet import reactor
    from twisted.python import log as twisted_log

    state: dict[str, Any] = {"timed_out": False, "signum": None, "stopping": False}
    with _crawl_loggers(log_level(settings)), _gc_tuned():
        twisted_log.PythonLoggingObserver("twisted").start()
        runner = CrawlerRunner(settings)
        crawlers = [runner.create_crawler(name) for name in spiders]
        failed = count_failed_starts(runner, crawlers, sources)
        # as CrawlerProcess sets up its reactor: Scrapy's DNS cache and thread pool size
        resolver = build_from_crawler(
            load_object(settings["TWISTED_DNS_RESOLVER"]),
            runner,  # type: ignore[arg-type]
            reactor=reactor,
        )
        resolver.install_on_reactor()
        reactor.getThreadPool().adjustPoolsize(
            maxthreads=settings.getint("REACTOR_THREADPOOL_MAXSIZE")
        )

        def stop_now(_: Any = None) -> None:
            if reactor.running:
                reactor.stop()

        def stop_gently() -> None:
            if state["stopping"]:
                return
            state["stopping"] = True
            if state["signum"] is not None:
                log.warning(
                    "%s received: finishing in-flight requests, then stopping (again: at once)",
                    signal.Signals(state["signum"]).name,
                )
            runner.stop()
            reactor.callLater(STOP_GRACE_SECONDS, stop_now)

        def on_timeout() -> None:
            state["timed_out"] = True
            log.warning("crawl exceeded the run timeout of %g s; stopping it", timeout)
            stop_gently()

        def on_signal(signum: int, _frame: Any) -> None:
            if state["signum"] is None:
                state["signum"] = signum
                reactor.callFromThread(stop_gently)
            else:  # a second signal: at once
                reactor.callFromThread(stop_now)

        joined = runner.join()
        joined.addBoth(stop_now)
        if joined.called:  # no crawler started (each failed to): nothing to run
            return len(failed), False, None
        if timeout:
            deadline = reactor.callLater(timeout, on_timeout)
        with _signals(on_signal), _hard_deadline(timeout):
            reactor.run(installSignalHandlers=False)
        if timeout and deadline.active():
            deadline.cancel()
    return crawl_errors(crawlers) + len(failed), state["timed_out"], state["signum"]


def count_failed_starts(runner: Any, crawlers: Sequence[Any], sources: Sequence[str]) -> list[Any]:
    """Start the crawlers; the failures of those that could not start (a component that
    does not import, a spider's set-up raising), logged and kept: each fails the run, as
    the errors counted inside a crawl do. Scrapy only logs them."""
    failed: list[Any] = []

    def record(failure: Any) -> None:
        log.error("a crawler failed: %s", failure.getErrorMessage())
        failed.append(failure)

    for crawler in crawlers:
        runner.crawl(crawler, sources=",".join(sources)).addErrback(record)
    return failed


HARD_STOP_MARGIN_SECONDS = 5.0


@contextmanager
def _hard_deadline(timeout: float | None) -> Iterator[None]:
    """A bound outside the reactor: the deadline and the signals are handled in the
    reactor's thread, and a storage call blocked there (a row lock held elsewhere, a
    database that stopped answering) holds them off. A subprocess crawl has its process
    group killed at the deadline; in a one-shot process this thread ends the process
    ``STOP_GRACE_SECONDS`` + ``HARD_STOP_MARGIN_SECONDS`` after it, and the next `run
    --once` or service start records the run left running as interrupted
    (``close_stale_runs``)."""
    if not timeout:
        yield
        return
    limit = timeout + STOP_GRACE_SECONDS + HARD_STOP_MARGIN_SECONDS

    def end_process() -> None:
        log.critical(
            "the crawl did not stop %g s after the run timeout of %g s (blocked in a "
            "database call?); ending the process",
            limit - timeout,
            timeout,
        )
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        os._exit(HARD_STOP_EXIT_CODE)

    timer = threading.Timer(limit, end_process)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


HARD_STOP_EXIT_CODE = 70  # EX_SOFTWARE: the run did not end as a run should


def log_level(settings: Any) -> int:
    return logging.getLevelName(str(settings.get("LOG_LEVEL", "INFO")).upper())  # type: ignore[no-any-return]


def set_crawl_log_levels(level: int) -> None:
    """The crawl's loggers at ``level`` (or their floor): a record under it is not even made
    (Scrapy logs every response and item at DEBUG)."""
    for name, floor in CRAWL_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, floor))


@contextmanager
def _crawl_loggers(level: int) -> Iterator[None]:
    before = {name: logging.getLogger(name).level for name in CRAWL_LOGGERS}
    set_crawl_log_levels(level)
    try:
        yield
    finally:
        for name, old in before.items():
            logging.getLogger(name).setLevel(old)


@contextmanager
def _gc_tuned() -> Iterator[None]:
    """``tune_gc`` for the crawl, the thresholds restored after it. What was frozen stays
    frozen: in a one-shot process it is the modules and the configuration, alive until the
    process exits, and the collections after the crawl (the last one at exit included) need
    not walk them again; unfreezing cost about 8% of a collection's CPU time."""
    before = tune_gc()
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def _signals(handler: Any) -> Iterator[None]:
    sigs = (signal.SIGINT, signal.SIGTERM)
    before = {sig: signal.getsignal(sig) for sig in sigs}
    for sig in sigs:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in before.items():
            signal.signal(sig, old)
