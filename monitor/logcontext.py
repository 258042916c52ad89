"""Job and run ids on every log line emitted while a job runs (contextvars: per thread)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_job: ContextVar[str | None] = ContextVar("job", default=None)
_run: ContextVar[int | None] = ContextVar("run", default=None)


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    token = _job.set(job_id)
    run_token = _run.set(None)
    try:
        yield
    finally:
        _run.reset(run_token)
        _job.reset(token)


def set_run(run_id: int | None) -> None:
    _run.set(run_id)


class ContextFilter(logging.Filter):
    """Adds ``job`` and ``run`` attributes (and a ``context`` text) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        job, run = _job.get(), _run.get()
        if not hasattr(record, "job"):
            record.job = job
        if not hasattr(record, "run"):
            record.run = run
        parts = [
            f"job={record.job}" if record.job else "",
            f"run={record.run}" if record.run else "",
        ]
        if getattr(record, "source", None):
            parts.append(f"source={record.source}")
        record.context = (" [" + " ".join(p for p in parts if p) + "]") if any(parts) else ""
        return True
