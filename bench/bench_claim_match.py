"""Claim matching: the cost of one new item against 1,000 and 100,000 stored claims.

Claims are social posts and notices of 40-120 words built from real Vietnamese sentences
(the VFND corpus in ../shared/corpora when present, else a small built-in set), each with
its own names, places and numbers so that no two are the same claim. Queries are reworded
reposts of stored claims (words dropped, a date and a name changed, half typed without
diacritics) and as many unrelated texts.

Measured in the same run, at both sizes:
- press-monitor's index (``nlp.claim_index.ClaimIndex``): per-query time, build time, and
  whether a repost finds the claim it repeats (top hit at or above the 0.45 similarity);
- the baseline, an exact scan: the same TF-IDF vectors for every stored claim in one sparse
  matrix, one sparse product per query (what a competent first version does), whose cost
  grows with the archive.
Printed: per-query medians and the 100,000 / 1,000 ratio of each, and the index's memory at
100,000 (peak RSS of a child process that builds it, less the same child without claims).

    python bench/bench_claim_match.py [--sizes 1000 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize

from bench.corpus import source_sentences
from nlp.claim_index import ClaimIndex
from nlp.claim_vectors import claim_text

FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()  # noqa: SIM905
GIVEN = "An Bình Cường Dũng Hùng Khánh Lan Minh Nam Phúc Quân Sơn Tâm Thảo Tuấn Vy".split()  # noqa: SIM905
PLACES = "Bờ Y|Dục Nông|Sa Loong|Plei Kần|Đăk Xú|Đăk Mế|Iệc|Đăk Răng|Đăk Kan|Pờ Y".split("|")  # noqa: SIM905
SIMILARITY = 0.45


def claims(count: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    pool = source_sentences()
    out = []
    for n in range(count):
        words: list[str] = []
        target = rng.randint(40, 120)
        while len(words) < target:
            words += rng.choice(pool).split()
        name = f"{rng.choice(FAMILY)} Văn {rng.choice(GIVEN)}"
        place = rng.choice(PLACES)
        out.append(
            f"Thông báo số {n}: ông {name} ở thôn {rng.randint(1, 40)} xã {place} cho biết "
            + " ".join(words[:target])
        )
    return out


def unaccented(text: str) -> str:
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in plain if unicodedata.category(c) != "Mn")


def repost(text: str, rng: random.Random) -> str:
    """Words dropped, another name and date, half of them without diacritics."""
    words = [w for w in text.split() if rng.random() > 0.12]
    words[rng.randrange(len(words))] = f"{rng.choice(GIVEN)} ngày {rng.randint(1, 28)}/12"
    out = " ".join(words)
    return unaccented(out) if rng.random() < 0.5 else out


def queries(stored: list[str], count: int, seed: int = 5) -> list[tuple[int | None, str]]:
    rng = random.Random(seed)
    fresh = claims(count // 2, seed=99)
    picked = [(k, repost(stored[k], rng)) for k in rng.sample(range(len(stored)), count // 2)]
    return picked + [(None, text) for text in fresh]


@dataclass
class Setup:
    """One archive size: its index, its scan matrix and its queries."""

    stored: list[str]
    asked: list[tuple[int | None, str]]
    index: ClaimIndex
    matrix: csr_matrix
    build_s: float
    scan_build_s: float
    times: list[float] = field(default_factory=list)
    scan_times: list[float] = field(default_factory=list)
    found: int = 0
    scan_found: int = 0


def setup(size: int, query_count: int) -> Setup:
    stored = [claim_text("", t) for t in claims(size)]
    asked = [(k, claim_text("", t)) for k, t in queries(stored, query_count)]
    background = [t for _, t in asked] + stored[:2000]
    start = time.perf_counter()
    index = ClaimIndex(enumerate(stored), background)
    build = time.perf_counter() - start
    start = time.perf_counter()
    matrix = normalize(index.vectorizer.transform(stored)).tocsr()
    return Setup(stored, asked, index, matrix, build, time.perf_counter() - start)


def run_queries(s: Setup, count_found: bool) -> None:
    """Every query once through the index and once through the scan."""
    for key, text in s.asked:
        start = time.perf_counter()
        hits = s.index.query(text, SIMILARITY)
        s.times.append(time.perf_counter() - start)
        start = time.perf_counter()
        scores = (s.matrix @ normalize(s.index.vectorizer.transform([text])).T).toarray().ravel()
        best = int(scores.argmax())
        s.scan_times.append(time.perf_counter() - start)
        if count_found and key is not None:
            s.found += int(bool(hits) and hits[0].key == key)
            s.scan_found += int(best == key and scores[best] >= SIMILARITY)


def measure(sizes: list[int], query_count: int, rounds: int = 3) -> dict[int, dict[str, float]]:
    """Both sizes built first, then queried in alternating rounds (a load change on the
    shared machine hits both alike); the first pass over each is a warm-up, not timed."""
    setups = {size: setup(size, query_count) for size in sizes}
    for s in setups.values():
        run_queries(s, count_found=True)
        s.times.clear()
        s.scan_times.clear()
    for _ in range(rounds):
        for s in setups.values():
            run_queries(s, count_found=False)
    out = {}
    for size, s in setups.items():
        reposts = sum(1 for k, _ in s.asked if k is not None)
        out[size] = {
            "query_ms": statistics.median(s.times) * 1000,
            "query_p95_ms": sorted(s.times)[int(len(s.times) * 0.95)] * 1000,
            "build_s": s.build_s,
            "recall": s.found / reposts,
            "scan_ms": statistics.median(s.scan_times) * 1000,
            "scan_build_s": s.scan_build_s,
            "scan_recall": s.scan_found / reposts,
        }
    return out


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_child(size: int) -> None:
    """Print the resident KiB before and after building an index of ``size`` claims (the
    claim texts are in memory before: the index keeps references to them, not copies)."""
    stored = [claim_text("", t) for t in claims(size)]
    gc.collect()
    before = rss_kib()
    index = ClaimIndex(enumerate(stored), stored[:2000])
    gc.collect()
    print(before, rss_kib(), len(index))


def memory(size: int) -> float:
    """MiB the index of ``size`` claims adds to a process holding the claim texts."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(size)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    return (after - before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs=2, default=[1000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--memory-child", type=int)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child)
        return
    small, large = args.sizes
    results = measure([small, large], args.queries)
    print(f"{args.queries} queries (half reworded reposts, half unrelated), similarity >= 0.45")
    print(
        "| claims | index query median | p95 | build | repost found | scan query median | "
        "scan build | scan found |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size, r in results.items():
        print(
            f"| {size:,} | {r['query_ms']:.2f} ms | {r['query_p95_ms']:.2f} ms | "
            f"{r['build_s']:.1f} s | {r['recall']:.0%} | {r['scan_ms']:.2f} ms | "
            f"{r['scan_build_s']:.1f} s | {r['scan_recall']:.0%} |"
        )
    index_ratio = results[large]["query_ms"] / results[small]["query_ms"]
    scan_ratio = results[large]["scan_ms"] / results[small]["scan_ms"]
    print(f"per-query cost {large:,} / {small:,}: index {index_ratio:.2f}x, scan {scan_ratio:.2f}x")
    print(
        f"index vs scan at {large:,}: "
        f"{results[large]['scan_ms'] / results[large]['query_ms']:.1f}x faster per query"
    )
    print(f"index memory at {large:,} claims: {memory(large):.0f} MiB (beyond the claim texts)")


if __name__ == "__main__":
    main()
