"""Start-up benchmark: how long a command takes before it does anything.

`press-monitor status` is run by cron and monitoring every few minutes; issue 15 asks it to
take at most twice the time of importing the four libraries it cannot do without
(sqlalchemy, click, yaml, pydantic), measured side by side. Also timed: `analyze-text` on
one item (the start-up of an analysing command: config, gazetteer and rule queries from
their caches, the automata built), against the same imports.

Each command runs in a fresh interpreter, as users run it, in turn with the others, a
number of rounds; printed: the lowest and the median CPU time (user + system, from the
kernel) and wall time of each, and the ratios of the lowest and of the medians against the
imports. A first, untimed run fills the caches a user's first command fills (gazetteer,
rule queries, cron expressions) and creates the database.

    .venv/bin/python bench/bench_startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = "import sqlalchemy, click, yaml, pydantic"
ITEM = '{"id": 1, "title": "Tin đồn", "text": "Người dân xã Bờ Y phản ánh tin đồn lừa đảo."}\n'


def timed(command: list[str], env: dict[str, str], stdin: str) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, input=stdin, text=True, stdout=subprocess.DEVNULL, env=env, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PRESS_MONITOR_CACHE": str(Path(tmp) / "cache"),
            "PRESS_MONITOR_DATABASE_URL": f"sqlite:///{Path(tmp) / 'status.db'}",
        }
        press = [sys.executable, "-m", "monitor", "--config", str(ROOT / "config.yaml")]
        commands = {
            "imports": ([sys.executable, "-c", IMPORTS], ""),
            "status": ([*press, "status"], ""),
            "analyze-text (1 item)": ([*press, "analyze-text"], ITEM),
        }
        for command, stdin in commands.values():
            timed(command, env, stdin)  # caches filled, database created, files read once
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, (command, stdin) in commands.items():
                runs[name].append(timed(command, env, stdin))
    base_cpu = min(cpu for _, cpu in runs["imports"])
    base_median = statistics.median(cpu for _, cpu in runs["imports"])
    print(f"start-up, {args.rounds} rounds in turn (CPU: lowest / median; wall: median)")
    for name, measured in runs.items():
        cpus = [cpu for _, cpu in measured]
        walls = [wall for wall, _ in measured]
        line = (
            f"  {name:<22} CPU {min(cpus):.3f} / {statistics.median(cpus):.3f} s, "
            f"wall {statistics.median(walls):.3f} s"
        )
        if name != "imports":
            line += (
                f"; {min(cpus) / base_cpu:.2f}x / {statistics.median(cpus) / base_median:.2f}x "
                "the imports" + (" (aim: <= 2x)" if name == "status" else "")
            )
        print(line)


if __name__ == "__main__":
    main()
