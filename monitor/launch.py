"""The console entry point: the command line started with fewer garbage collections.

A command's start-up builds a heap that lives until the command exits: modules, the
config's pydantic models, SQLAlchemy's mappings, the analysis automata. With CPython's
default thresholds (700, 10, 10) the collector walks that heap again and again while it
grows (during `status`'s imports: 163 young, 14 middle and one full collection, about a
tenth of its start-up). Young objects are collected here every 10,000 allocations, as the
crawl has done since it was profiled (crawler/crawl.py, ``tune_gc``); cycles are still
collected, a little later, so a long-running service stays bounded.
"""

from __future__ import annotations

import gc
import os

from crawler import GC_THRESHOLDS  # the package alone: no Scrapy


def main() -> None:
    """`press-monitor` and `python -m monitor`: set before anything heavy is imported."""
    gc.set_threshold(*GC_THRESHOLDS)
    # pydantic looks for plugins in the metadata of every installed package when the first
    # model is defined (10 to 30 ms of every command's start-up); press-monitor uses none.
    # A PYDANTIC_DISABLE_PLUGINS set beforehand keeps pydantic's own meaning (empty: load
    # them all; a comma-separated list: all but those), and child processes inherit it.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from monitor.cli import main as run

    run()
