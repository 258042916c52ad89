"""Analysis benchmark: press-monitor's analysis against the naive approach.

1. Articles per second over 2,000 realistic articles of 300-800 words, for press-monitor
   and for the naive baseline (underthesea NER over the whole text, then one regular
   expression search per keyword). The baseline takes seconds per article, so it is
   measured on the first --baseline-articles articles; its rate does not depend on how many.
2. Matching cost with 100 and with 100,000 keywords over the same articles.
3. Peak memory while the analysis stage processes 100,000 stored items (in a child
   process, so its peak is its own).

    .venv/bin/python bench/bench_analyze.py [--articles 2000] [--stored 100000]
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import articles, synthetic_keywords
from monitor.config import load_config
from monitor.wiring import ruleset
from nlp.analyzer import Analyzer
from nlp.ner import _tags
from nlp.rules import KeywordRule

ROOT = Path(__file__).resolve().parents[1]


def naive(docs: list[tuple[str, str]], keywords: list[str]) -> float:
    from underthesea import ner

    patterns = [re.compile(r"\b" + re.escape(k) + r"\b", re.IGNORECASE) for k in keywords]
    started = time.perf_counter()
    for title, text in docs:
        ner(text)
        for pattern in patterns:
            pattern.search(title + "\n" + text)
    return time.perf_counter() - started


def timed(analyzer: Analyzer, docs: list[tuple[str, str]]) -> float:
    _tags.cache_clear()  # each run pays for its own NER calls
    started = time.perf_counter()
    for title, text in docs:
        analyzer.analyze(text, title)
    return time.perf_counter() - started


def with_keywords(base: Analyzer, phrases: list[str]) -> Analyzer:
    rules = base.rules
    extra = tuple(KeywordRule("rumour", p, 0.1) for p in phrases)
    started = time.perf_counter()
    analyzer = Analyzer(
        type(rules)(rules.locality, rules.keywords + extra, rules.patterns, rules.scoring)
    )
    print(
        f"  built matcher with {len(analyzer.rules.keywords)} keywords in "
        f"{time.perf_counter() - started:.2f} s"
    )
    return analyzer


def memory_run(stored: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("memory_child.py")), tmp, str(stored)],
            capture_output=True,
            text=True,
            check=True,
        )
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(child.stdout.strip())
        print(
            f"peak memory of the analysis process: {peak_kb / 1024:.0f} MB for {stored} "
            f"stored items (aim: < 500 MB), {time.perf_counter() - started:.0f} s in all"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--baseline-articles", type=int, default=10)
    parser.add_argument("--stored", type=int, default=100_000)
    args = parser.parse_args()

    docs = articles(args.articles)
    words = sum(len(t.split()) for _, t in docs)
    print(f"{len(docs)} articles, {words / len(docs):.0f} words on average")
    analyzer = Analyzer(ruleset(load_config(ROOT / "config.yaml")))
    analyzer.analyze("khởi động", "")  # load the automata before timing

    seconds = timed(analyzer, docs)
    rate = len(docs) / seconds
    flagged = sum(analyzer.analyze(t, h).flagged for h, t in docs[:200])
    print(
        f"press-monitor: {rate:.0f} articles/s ({1000 / rate:.1f} ms each); "
        f"{flagged} of the first 200 flagged"
    )

    keywords = [k.phrase for k in analyzer.rules.keywords]
    sample = docs[: args.baseline_articles]
    naive_rate = len(sample) / naive(sample, keywords)
    print(
        f"naive baseline (NER on whole text + {len(keywords)} regex searches, first "
        f"{len(sample)} articles): {naive_rate:.2f} articles/s"
    )
    print(f"ratio: {rate / naive_rate:.0f}x the naive baseline (aim: >= 100x)")

    print("keyword scaling (full analysis of the same 500 articles, keyword lists padded):")

    subset = docs[:500]
    small = with_keywords(analyzer, synthetic_keywords(100 - len(keywords)))
    large = with_keywords(analyzer, synthetic_keywords(100_000 - len(keywords)))
    small_s, large_s = timed(small, subset), timed(large, subset)
    print(
        f"  100 keywords: {len(subset) / small_s:.0f} articles/s; 100,000 keywords: "
        f"{len(subset) / large_s:.0f} articles/s; ratio {large_s / small_s:.2f} "
        "(aim: <= 1.5)"
    )

    if args.stored:
        memory_run(args.stored)


if __name__ == "__main__":
    main()
