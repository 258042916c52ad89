"""The main job end to end, as users run it: `press-monitor demo` and `run --once`."""

from __future__ import annotations

import email
import sqlite3
from email import policy
from pathlib import Path

import pytest

from monitor.demo import SITE, demo_sources
from monitor.fixture_server import FixtureServer, copy_with_base
from tests.helpers import ROOT, missing_source_config, run_cli, write_config

pytestmark = pytest.mark.slow


def test_demo_flags_our_rumours_and_scams_not_ha_noi(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    result = run_cli(
        "--config", str(ROOT / "config.yaml"), "demo", "--workdir", str(workdir), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "sources:  5 collected" in result.stdout
    assert "written to" in result.stdout

    # the demo watches two communes: the province's digest, and one per commune
    (eml,) = list((workdir / "outbox").glob("*-all-*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    flagged_titles = {
        "Cảnh báo thủ đoạn giả danh công an gọi điện lừa đảo người dân Ngọc Hồi",
        "NONG: nghe noi sap xa lu dap thuy dien, ba con Sa Loong so tan gap!!!",
        "Sa Loong: Xôn xao tin đồn dịch tả lợn châu Phi lây sang người",
        "Chương trình tri ân khách hàng ở xã Bờ Y - nhận quà 5 triệu",
    }
    for title in flagged_titles:
        assert title in text
    for not_ours in (
        "Xã Ngọc Hồi (Hà Nội)",
        "Thanh Trì",
        "bác bỏ tin đồn sáp nhập",
        "Không có chuyện xả lũ",
        "Hội thi văn hóa",
    ):
        assert not_ours not in text
    assert "4 cảnh báo mới" in message["Subject"]
    (sa_loong,) = list((workdir / "outbox").glob("*-sa-loong-*.eml"))
    commune = email.message_from_bytes(sa_loong.read_bytes(), policy=policy.default)
    assert commune["To"] == "xa-sa-loong@example.invalid"
    commune_text = commune.get_body(("plain",)).get_content()
    assert "Sa Loong: Xôn xao tin đồn dịch tả lợn" in commune_text
    assert "tri ân khách hàng ở xã Bờ Y" not in commune_text


def _cycle_counts(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as conn:
        return {
            t: conn.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("items", "alerts", "digests", "analyses")
        }


def test_run_once_twice_adds_no_duplicates(tmp_path: Path) -> None:
    site = tmp_path / "site"
    with FixtureServer(site) as server:
        copy_with_base(SITE, site, server.base_url)
        sources = demo_sources(server.base_url)
        config = write_config(
            tmp_path / "config.yaml",
            sources=sources,
            database_url=f"sqlite:///{tmp_path / 'pm.db'}",
            outbox=str(tmp_path / "outbox"),
        )

        first = run_cli("--config", str(config), "run", "--once", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        counts = _cycle_counts(tmp_path / "pm.db")
        second = run_cli("--config", str(config), "run", "--once", cwd=tmp_path)
        assert second.returncode == 0, second.stderr

    assert counts["items"] == 12 and counts["alerts"] == 4 and counts["digests"] == 1
    assert _cycle_counts(tmp_path / "pm.db") == counts
    assert "5 not modified" not in second.stdout  # per source lines, not a total
    assert second.stdout.count("1 not modified") == 5
    assert "digest: not due" in second.stdout
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_run_once_reports_failed_source_and_exits_zero(tmp_path: Path) -> None:
    with FixtureServer(tmp_path / "empty-site") as server:
        config = missing_source_config(tmp_path, server.base_url)
        result = run_cli("--config", str(config), "run", "--once", cwd=tmp_path)
        status = run_cli("--config", str(config), "status", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "gone: 1 requests" in result.stdout and "HTTP 404" in result.stdout
    assert "gone" in status.stdout and "failures in a row: 1" in status.stdout
