"""Child of bench_analyze: fill a database with stored items, then run the analysis stage.

Run apart so that its peak memory is measured alone.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import articles
from monitor.analysis import analyze
from monitor.config import load_config
from storage.db import Database
from storage.models import Item
from storage.sources import SourceSpec, sync_sources

ROOT = Path(__file__).resolve().parents[1]


def main(workdir: str, count: int) -> None:
    db = Database(f"sqlite:///{workdir}/memory.db")
    with db.session() as session:
        sid = sync_sources(session, [SourceSpec("bench", "feed", "http://127.0.0.1/")])["bench"]
    docs = articles(500, 300, 800)
    for start in range(0, count, 5000):
        with db.session() as session:
            session.add_all(
                Item(
                    source_id=sid,
                    url=f"http://127.0.0.1/{n}",
                    canonical_url=f"http://127.0.0.1/{n}",
                    content_hash=str(n),
                    title=docs[n % 500][0],
                    text=docs[n % 500][1],
                )
                for n in range(start, min(count, start + 5000))
            )
    config = load_config(ROOT / "config.yaml").model_copy(update={"database_url": db.url})
    started = time.perf_counter()
    report = analyze(db, config)
    seconds = time.perf_counter() - started
    print(
        f"analysis stage: {report.analyzed} stored items in {seconds:.0f} s "
        f"({report.analyzed / seconds:.0f} items/s), {report.flagged} flagged"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
