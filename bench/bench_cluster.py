"""Cluster benchmark: throughput with 1, 2 and 4 crawler processes and 1 and 2 workers,
against the single-process `run --once` on the same outlets, in the same run.

Outlets: ``--hosts`` loopback hosts (bench/servers.py), ``--feeds`` feeds with
``--entries`` entries each whose short summary makes the crawler follow the article page;
every response waits ``--latency`` seconds, standing in for the network. Each setup gets a
fresh PostgreSQL schema and a fresh Redis key prefix; the clock runs from starting the
processes until every item has its article text and its analysis of that text (the same
end state as `run --once`). CPU is the kernel's user + system time of all the processes of
the setup (their start-up included), from getrusage of the waited children; and, per role,
from /proc, the CPU time spent between the first item stored and the end: what a crawler
and a worker cost per item once running, which sizes a deployment.

    .venv/bin/python bench/bench_cluster.py [--feeds 200] [--entries 5] [--hosts 20]
        [--latency 0.02] [--setups 1x1,2x1,4x1,1x2,2x2,4x2]

Needs PostgreSQL (PRESS_MONITOR_TEST_PG_URL or postgres@127.0.0.1/test) and Redis
(redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.servers import outlets  # noqa: E402

PG_URL = os.environ.get(
    "PRESS_MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = "redis://127.0.0.1:6379/0"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """User + system seconds of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stored(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("select count(*) from items")).scalar() or 0)


def new_schema() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def write_config(workdir: Path, db_url: str, bases: list[str], args: Any, prefix: str) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data.update(
        sources=[
            {
                "name": f"bao-{k}",
                "kind": "feed",
                "url": f"{bases[k % len(bases)]}/feed-{k}.xml",
                "schedule": {"interval_minutes": 600},
            }
            for k in range(args.feeds)
        ],
        database_url=db_url,
        outbox=str(workdir / "outbox"),
        digest={"schedule": "0 0 1 1 *"},
    )
    data.setdefault("crawler", {}).update(allow_private_hosts=["127.0.0.0/8"])
    if prefix:
        data["cluster"] = {
            "redis_url": REDIS_URL,
            "key_prefix": prefix,
            "heartbeat_seconds": 2,
            "dispatch_seconds": 1,
        }
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def finished(engine: sa.Engine, expected: int) -> bool:
    with engine.connect() as conn:
        done = conn.execute(
            sa.text(
                "select count(*) from items i join analyses a on a.item_id = i.id "
                "where not i.needs_fulltext and a.content_hash = i.content_hash"
            )
        ).scalar()
    return done == expected


def cli(config: Path, *args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESS_MONITOR_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=config.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=kwargs.get("stderr", subprocess.DEVNULL),
        start_new_session=True,
    )


def single_process(bases: list[str], args: Any, expected: int) -> tuple[float, float]:
    """Today's `run --once` on PostgreSQL: wall and CPU seconds."""
    db_url, schema = new_schema()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = write_config(Path(tmp), db_url, bases, args, "")
            cpu, start = children_cpu(), time.monotonic()
            cli(config, "run", "--once").wait()
            wall = time.monotonic() - start
            cpu = children_cpu() - cpu
            engine = sa.create_engine(db_url)
            if not finished(engine, expected):
                raise SystemExit("run --once did not store and analyse every item")
            engine.dispose()
        return wall, cpu
    finally:
        drop_schema(schema)


def cluster(
    bases: list[str], args: Any, expected: int, crawlers: int, workers: int
) -> tuple[float, float, dict[str, float]]:
    """Scheduler + ``crawlers`` + ``workers`` processes until done: wall and CPU seconds,
    and each role's CPU seconds from the first item stored to the end (start-up left out)."""
    db_url, schema = new_schema()
    prefix = f"pmbench-{uuid.uuid4().hex[:8]}"
    from storage.db import Database

    Database(db_url).dispose()
    engine = sa.create_engine(db_url)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = write_config(Path(tmp), db_url, bases, args, prefix)
            cpu, start = children_cpu(), time.monotonic()
            roles = ["scheduler"] + ["crawler"] * crawlers + ["worker"] * workers
            processes = [cli(config, "run", "--role", role) for role in roles]
            deadline = start + args.timeout
            at_first: dict[int, float] = {}
            while not finished(engine, expected):
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise SystemExit(f"{crawlers}x{workers}: not done, or a process ended")
                if not at_first and stored(engine):
                    at_first = {p.pid: process_cpu(p.pid) for p in processes}
                time.sleep(0.25)
            wall = time.monotonic() - start
            steady: dict[str, float] = {}
            for role, p in zip(roles, processes, strict=True):
                used = process_cpu(p.pid) - at_first.get(p.pid, 0.0)
                steady[role] = steady.get(role, 0.0) + used
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait()
            return wall, children_cpu() - cpu, steady
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        engine.dispose()
        drop_schema(schema)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=5)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--setups", default="1x1,2x1,4x1,1x2,2x2,4x2")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    expected = args.feeds * args.entries
    with outlets(args.hosts, args.latency, args.entries) as bases:
        print(
            f"{args.feeds} feeds on {args.hosts} hosts, {expected} items and article pages, "
            f"{args.latency * 1000:g} ms per response; load average {os.getloadavg()[0]:.1f}"
        )
        base_wall, base_cpu = single_process(bases, args, expected)
        print(
            f"run --once (one process, the baseline): {base_wall:.1f} s, "
            f"{expected / base_wall:.1f} items/s, {base_cpu / expected * 1000:.1f} ms CPU/item"
        )
        print(
            "crawlers x workers | wall | items/s | vs run --once | CPU ms/item (all, start-up "
            "included) | after start-up: crawlers, workers, scheduler ms/item | load"
        )
        for setup in args.setups.split(","):
            crawlers, workers = (int(n) for n in setup.split("x"))
            wall, cpu, steady = cluster(bases, args, expected, crawlers, workers)
            per_item = {role: used / expected * 1000 for role, used in steady.items()}
            print(
                f"{crawlers} x {workers} | {wall:.1f} s | {expected / wall:.1f} | "
                f"{base_wall / wall:.2f}x | {cpu / expected * 1000:.1f} | "
                f"{per_item['crawler']:.1f}, {per_item['worker']:.1f}, "
                f"{per_item['scheduler']:.1f} | {os.getloadavg()[0]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
