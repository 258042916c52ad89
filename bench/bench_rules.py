"""What the rule language costs: the default pack's queries against the keyword pass.

The issue set a bound: queries compiled once per rule set must not make analysis slower
than a few times the keyword pass. Two measures over the same articles (VFND sentences when
../shared/corpora is present, see bench/corpus.py), in one run:

1. matching only, on texts already folded: the keyword automaton (72 phrases) against the
   keyword automaton plus the default pack (all query terms in one automaton, then the
   queries whose terms occurred);
2. the whole analysis (folding, locality, NER where needed, all rules, scoring) with and
   without the pack.

    .venv/bin/python bench/bench_rules.py [--articles 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import articles
from monitor.config import load_config
from monitor.wiring import ruleset
from nlp.analyzer import Analyzer
from nlp.ner import _tags

ROOT = Path(__file__).resolve().parents[1]


def best_of(runs: int, work: object) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    config = load_config(ROOT / "config.yaml")
    with_pack = Analyzer(ruleset(config))
    keywords_only = Analyzer(ruleset(config.model_copy(update={"rule_packs": []})))
    docs = articles(args.articles)
    folded = [Analyzer.document(text, title) for title, text in docs]
    print(f"{len(docs)} articles; {len(with_pack.rules.queries)} query rules in the pack")

    def keyword_pass() -> None:
        for doc in folded:
            list(keywords_only.keywords.find(doc))

    def keyword_and_query_pass() -> None:
        for doc in folded:
            list(with_pack.keywords.find(doc))
            with_pack.queries.find(doc)

    k = best_of(3, keyword_pass)
    q = best_of(3, keyword_and_query_pass)
    print(
        f"matching only: keywords {len(docs) / k:,.0f} articles/s, keywords + pack "
        f"{len(docs) / q:,.0f} articles/s: the pack costs {q / k:.2f}x the keyword pass"
    )

    def analyze_all(analyzer: Analyzer) -> None:
        _tags.cache_clear()
        for title, text in docs:
            analyzer.analyze(text, title)

    a = best_of(2, lambda: analyze_all(keywords_only))
    b = best_of(2, lambda: analyze_all(with_pack))
    print(
        f"whole analysis: without the pack {len(docs) / a:,.0f} articles/s, with it "
        f"{len(docs) / b:,.0f} articles/s: {b / a:.2f}x"
    )


if __name__ == "__main__":
    main()
