"""The crawler is a normal Scrapy project: `scrapy crawl NAME` works from the repository."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.demo import SITE, demo_sources
from monitor.fixture_server import FixtureServer, copy_with_base
from tests.helpers import ROOT, write_config

pytestmark = pytest.mark.slow


def test_scrapy_crawl_feeds_from_the_repository(tmp_path: Path) -> None:
    site = tmp_path / "site"
    with FixtureServer(site) as server:
        copy_with_base(SITE, site, server.base_url)
        sources = demo_sources(server.base_url)
        config = write_config(tmp_path / "config.yaml", sources=sources)
        db_path = tmp_path / "scrapy.db"
        env = {
            **os.environ,
            "PRESS_MONITOR_CONFIG": str(config),
            "PRESS_MONITOR_DATABASE_URL": f"sqlite:///{db_path}",
        }
        scrapy = Path(sys.executable).with_name("scrapy")
        listed = subprocess.run(
            [str(scrapy), "list"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert listed.stdout.split() == ["apis", "feeds", "sites", "telegram"], listed.stderr
        result = subprocess.run(
            [str(scrapy), "crawl", "feeds", "-s", "LOG_LEVEL=WARNING"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from sources").fetchone()[0] == 5
        assert conn.execute("select count(*) from items").fetchone()[0] == 12
