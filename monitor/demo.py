"""`press-monitor demo`: one full cycle against bundled sample outlets, fully offline.

The sample outlets are served from 127.0.0.1 by a real HTTP server, and the cycle runs on a
fresh SQLite database, so the demo exercises the same code as production. It watches two
communes (demo_site/localities.yaml: Bờ Y and Sa Loong, each with its own analyst), so the
outbox holds one digest per commune besides the provincial one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from monitor.config import Config, LocalityEntry, Source, load_config
from monitor.fixture_server import FixtureServer
from monitor.pipeline import CycleResult, run_cycle
from storage.db import Database

SITE = resources.files("monitor") / "demo_site"


@dataclass
class DemoResult:
    workdir: Path
    config: Config
    cycle: CycleResult


def prepare_site(target: Path, base_url: str) -> None:
    """Copy the sample outlets to ``target``, with links pointing at the local server."""
    if target.exists():
        shutil.rmtree(target)
    with resources.as_file(SITE) as site:
        shutil.copytree(site, target)
    for file in target.rglob("*"):
        if file.suffix in {".xml", ".html"}:
            file.write_text(
                file.read_text(encoding="utf-8").replace("{base}", base_url), encoding="utf-8"
            )


def demo_sources(base_url: str) -> list[dict[str, Any]]:
    """The sample outlets as config.yaml source entries, served from ``base_url``."""
    raw_sources = yaml.safe_load((SITE / "sources.yaml").read_text(encoding="utf-8"))
    return [{**s, "url": s["url"].replace("{base}", base_url)} for s in raw_sources]


def demo_localities() -> list[LocalityEntry]:
    """The demo's two communes, each with its own analyst."""
    raw = yaml.safe_load((SITE / "localities.yaml").read_text(encoding="utf-8"))
    return [LocalityEntry.model_validate(entry) for entry in raw]


def demo_config(base: Config, base_url: str, workdir: Path) -> Config:
    sources = [Source.model_validate(s) for s in demo_sources(base_url)]
    return base.model_copy(
        update={
            "sources": sources,
            "locality": None,
            "localities": demo_localities(),
            "database_url": f"sqlite:///{workdir / 'demo.db'}",
            "outbox": str(workdir / "outbox"),
            "smtp": None,
            # the sample outlets are served from this machine: allow exactly that host
            "crawler": base.crawler.model_copy(
                update={"allow_private_hosts": [urlsplit(base_url).hostname or "127.0.0.1"]}
            ),
        }
    )


def run_demo(config_path: str | Path | None, workdir: Path) -> DemoResult:
    base = load_config(config_path)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    site_dir = workdir / "site"
    with FixtureServer(site_dir) as server:
        prepare_site(site_dir, server.base_url)
        config = demo_config(base, server.base_url, workdir)
        db = Database(config.database_url)
        try:
            cycle = run_cycle(db, config, workdir)
        finally:
            db.dispose()
    return DemoResult(workdir, config, cycle)


def serve_demo(result: DemoResult, echo: Callable[[str], None]) -> None:
    """Serve the review pages on the demo database, with a fresh user 'demo' (every
    locality) and 'xa-bo-y' (only Bờ Y's alerts), both with the printed password."""
    import secrets

    import waitress

    from alerts.accounts import add_user, limit_to_localities
    from monitor.wiring import web_options
    from web.accesslog import AccessLog
    from web.app import create_app

    password = secrets.token_urlsafe(12)
    db = Database(result.config.database_url)
    with db.session() as session:
        add_user(session, "demo", password, "Người dùng thử")
        add_user(session, "xa-bo-y", password, "Cán bộ xã Bờ Y")
        limit_to_localities(session, "xa-bo-y", ["bo-y"])
    web = result.config.web
    echo(
        f"\nreview pages: http://{web.host}:{web.port}/  users: demo (every locality), "
        f"xa-bo-y (Bờ Y only)  password: {password}"
    )
    echo("(Ctrl+C to stop)")
    app = AccessLog(create_app(db, web_options(result.config)))
    waitress.serve(app, host=web.host, port=web.port, threads=4, ident="press-monitor")
