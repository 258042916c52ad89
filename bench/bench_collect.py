"""Collection benchmark: press-monitor against a plain sequential feedparser loop.

200 feeds on 20 loopback hosts, 10 entries each with a short summary, so 2,000 article
pages are followed for their full text. Both sides fetch the same feeds and pages; the
baseline does less (no robots.txt, no extraction, no database). Printed: items per second
for each and their ratio, then the share of 304s when press-monitor collects again.

Every response waits ``--latency`` seconds first. The default, 150 ms, is a modest time to
first byte for a Vietnamese news CMS reached over the internet; the ratio grows with it,
since the baseline waits for each response in turn while press-monitor overlaps them
(up to 2 per outlet) and is then bound by its own CPU time per item (printed). A
sequential loop's rate does not depend on how many feeds it reads, so it is measured on
the first ``--baseline-feeds`` feeds only, to keep the run short.

    .venv/bin/python bench/bench_collect.py [--hosts 20] [--feeds-per-host 10] [--latency 0.15]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.servers import outlets
from monitor.config import Source, load_config
from monitor.pipeline import collect
from storage.db import Database

ROOT = Path(__file__).resolve().parents[1]
AUTOTHROTTLE = True  # production politeness settings


def sequential_baseline(feed_urls: list[str]) -> tuple[int, float]:
    started = time.perf_counter()
    items = 0
    for url in feed_urls:
        parsed = feedparser.parse(url)
        for entry in parsed.entries:
            with urllib.request.urlopen(entry.link, timeout=30) as response:
                response.read()
            items += 1
    return items, time.perf_counter() - started


def press_monitor(feed_urls: list[str], workdir: Path) -> tuple[dict, float, Database]:
    config = load_config(ROOT / "config.yaml")
    sources = [Source(name=f"bench-{i:04d}", kind="feed", url=u) for i, u in enumerate(feed_urls)]
    db = Database(f"sqlite:///{workdir / 'bench.db'}")
    crawler = config.crawler.model_copy(update={"autothrottle": AUTOTHROTTLE})
    config = config.model_copy(
        update={"sources": sources, "database_url": db.url, "crawler": crawler}
    )
    started = time.perf_counter()
    result = collect(db, config)
    return result.per_source, time.perf_counter() - started, db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--feeds-per-host", type=int, default=10)
    parser.add_argument("--entries", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--baseline-feeds", type=int, default=20)

    args = parser.parse_args()

    with (
        outlets(args.hosts, args.latency, args.entries) as bases,
        tempfile.TemporaryDirectory() as tmp,
    ):
        feeds = [f"{b}/feed-{n}.rss" for b in bases for n in range(args.feeds_per_host)]
        print(
            f"{len(feeds)} feeds on {len(bases)} hosts, {len(feeds) * args.entries} article "
            f"pages, {args.latency * 1000:.0f} ms latency per response"
        )

        base_items, base_seconds = sequential_baseline(feeds[: args.baseline_feeds])
        base_rate = base_items / base_seconds
        print(
            f"baseline (sequential feedparser + urllib, first {args.baseline_feeds} feeds): "
            f"{base_items} items in {base_seconds:.1f} s = {base_rate:.1f} items/s"
        )

        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        stats, seconds, db = press_monitor(feeds, Path(tmp))
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
            cpu_before.ru_utime + cpu_before.ru_stime
        )
        new = sum(s["new"] for s in stats.values())
        completed = sum(s["updated"] for s in stats.values())
        errors = sum(s["errors"] + s["article_errors"] for s in stats.values())
        rate = new / seconds
        print(
            f"press-monitor: {new} items ({completed} completed from article pages, "
            f"{errors} errors) in {seconds:.1f} s = {rate:.1f} items/s"
        )
        print(f"crawler CPU time: {cpu:.1f} s, {1000 * cpu / max(new, 1):.1f} ms per item")
        print(f"ratio: {rate / base_rate:.1f}x the sequential baseline (aim: >= 10x)")

        again, seconds2, _ = press_monitor(feeds, Path(tmp))
        feed_requests = len(feeds)
        not_modified = sum(s["not_modified"] for s in again.values())
        print(
            f"second run: {not_modified}/{feed_requests} feeds answered 304 "
            f"({100 * not_modified / feed_requests:.0f}%), "
            f"{sum(s['new'] for s in again.values())} new items, {seconds2:.1f} s"
        )
        db.dispose()


if __name__ == "__main__":
    main()
