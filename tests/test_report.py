"""The report upward: the .docx read back with python-docx and checked against the database
(figures counted here with plain SQL, not with the code under test), its charts, and the
PDF made by LibreOffice rendered to PNG with pdftoppm."""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from PIL import Image
from sqlalchemy import text

from alerts.labels import CATEGORY_LABELS, KIND_LABELS, STATUS_LABELS
from alerts.report import ReportError, ReportOptions, make_report, parse_period
from storage.db import Database
from storage.models import PressBulletin, PressDelivery, Report
from tests.helpers import ROOT, write_config
from tests.press_data import ANALYST, july, store_month

START, END = "2025-06-30 17:00:00", "2025-07-31 17:00:00"
OPTIONS = ReportOptions(parent="UBND tỉnh Quảng Ngãi", office="Bộ phận theo dõi thông tin")
ARTIFACTS = ROOT / "test-artifacts"


def sql(db: Database, query: str) -> list[tuple]:
    with db.session() as s:
        return [tuple(r) for r in s.execute(text(query), {"start": START, "end": END})]


def add_sent_bulletin(db: Database) -> None:
    with db.session() as s:
        b = PressBulletin(period_start=july(1), period_end=july(8), state="done", entry_count=1)
        s.add(b)
        s.flush()
        for n, when in enumerate((july(8, 1), datetime(2025, 8, 2))):  # one in July, one after
            s.add(
                PressDelivery(
                    bulletin_id=b.id,
                    email=f"bao{n}@example.invalid",
                    message_id=f"<{n}@x>",
                    state="sent",
                    sent_at=when,
                )
            )


def table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_docx_heading_period_figures_and_charts(db: Database) -> None:
    store_month(db)
    add_sent_bulletin(db)
    period = parse_period("2025-07", datetime(2026, 1, 1))
    made = datetime(2025, 8, 3, 2, 0)
    number, name, content = make_report(db, OPTIONS, period, "Ngọc Hồi", "docx", made=made)
    assert name == f"bao-cao-2025-07-so-{number}.docx"
    with db.session() as s:
        assert s.get_one(Report, number).content == content  # kept for the review pages
    doc = Document(io.BytesIO(content))

    heading = table_rows(doc.tables[0])[0]
    left, right = heading[0].split("\n"), heading[1].split("\n")
    assert left == [
        "UBND TỈNH QUẢNG NGÃI",
        "BỘ PHẬN THEO DÕI THÔNG TIN",
        f"Số: {number}/BC-BPTD",
    ]
    assert right == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Quảng Ngãi, ngày 03 tháng 08 năm 2025",
    ]
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[paragraphs.index("BÁO CÁO") + 3] == "(Từ ngày 01/07/2025 đến ngày 31/07/2025)"
    for section in (
        "I. TÌNH HÌNH CHUNG",
        "II. CÁC VỤ VIỆC NỔI BẬT",
        "III. CÔNG TÁC ĐÍNH CHÍNH VÀ CUNG CẤP THÔNG TIN CHO BÁO CHÍ",
        "IV. NGUỒN TIN GẶP LỖI VÀ ĐỀ XUẤT",
    ):
        assert section in paragraphs
    assert doc.styles["Normal"].font.name == "Times New Roman"
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)

    # I.1 items and alerts per source kind, counted here with SQL
    items = dict(
        sql(
            db,
            "select s.kind, count(i.id) from sources s left join items i on i.source_id = s.id"
            " and i.fetched_at >= :start and i.fetched_at < :end group by s.kind",
        )
    )
    alerts = dict(
        sql(
            db,
            "select s.kind, count(a.id) from sources s join items i on i.source_id = s.id"
            " join alerts a on a.item_id = i.id"
            " where a.created_at >= :start and a.created_at < :end group by s.kind",
        )
    )
    kinds = table_rows(doc.tables[1])
    assert kinds[0] == ["Loại nguồn", "Tin thu thập", "Tin bị gắn cờ"]
    expected = sorted([KIND_LABELS[k], str(items[k]), str(alerts.get(k, 0))] for k in items)
    assert sorted(kinds[1:-1]) == expected
    total_items, total_alerts = sum(items.values()), sum(alerts.values())
    assert kinds[-1] == ["Tổng cộng", str(total_items), str(total_alerts)]
    assert (total_items, total_alerts) == (13, 8)  # the month as stored
    assert table_rows(doc.tables[2])[1] == ["Ngọc Hồi", str(total_items), str(total_alerts)]

    # I.3 alerts by category and verdict
    verdicts = table_rows(doc.tables[3])
    assert verdicts[0] == ["Dấu hiệu", *STATUS_LABELS.values(), "Cộng"]
    rows = sql(
        db, "select categories, status from alerts where created_at >= :start and created_at < :end"
    )
    for row in verdicts[1:-1]:
        category = next(c for c, label in CATEGORY_LABELS.items() if label == row[0])
        for status, cell in zip(STATUS_LABELS, row[1:-1], strict=True):
            want = sum(1 for cats, st in rows if category in _cats(cats) and st == status)
            assert cell == str(want), (category, status)
    assert {
        next(c for c, lbl in CATEGORY_LABELS.items() if lbl == r[0]) for r in verdicts[1:-1]
    } == {c for cats, _ in rows for c in _cats(cats)}
    assert verdicts[-1][1:] == [
        *(str(sum(1 for _, st in rows if st == s)) for s in STATUS_LABELS),
        str(len(rows)),
    ]

    # I.4 hours from the flag to the first verdict
    spans = sql(
        db,
        "select a.created_at, min(e.created_at) from alerts a join alert_events e"
        " on e.alert_id = a.id and e.to_status in"
        " ('verified_true', 'verified_false', 'misleading', 'dismissed')"
        " where a.created_at >= :start and a.created_at < :end group by a.id, a.created_at",
    )
    hours = [(_dt(v) - _dt(c)).total_seconds() / 3600 for c, v in spans]
    timing = next(p for p in paragraphs if p.startswith("4. Thời gian"))
    median, mean = f"{statistics.median(hours):.1f}", f"{statistics.fmean(hours):.1f}"
    assert f"trung vị {median.replace('.', ',')} giờ" in timing
    assert f"trung bình {mean.replace('.', ',')} giờ ({len(hours)} cảnh báo)" in timing

    # II. main stories: the dam rumour spread over three sources
    assert any(
        p.startswith("1. «") and "3 tin từ 3 nguồn" in p and "2 cảnh báo" in p for p in paragraphs
    )
    # III. clarifications published in July, as frozen, and bulletins sent in July
    published = sql(
        db,
        "select published_title from alerts where published_at >= :start and published_at < :end",
    )
    sent = sql(
        db,
        "select count(*) from press_deliveries where state = 'sent'"
        " and sent_at >= :start and sent_at < :end",
    )[0][0]
    assert (len(published), sent) == (2, 1)
    assert f"Đã công bố {len(published)} thông tin đính chính; gửi {sent} thư bản tin" in " ".join(
        paragraphs
    )
    for (title,) in published:
        assert any(f"«{title}»" in p for p in paragraphs)
    # no analyst is named in a report either
    for name in ANALYST:
        assert name not in " ".join(paragraphs)

    # the two charts, as PNG images in the document
    images = [
        doc.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed]
        for s in doc.inline_shapes
    ]
    assert len(images) == 2
    for part in images:
        assert part.content_type == "image/png"
        picture = Image.open(io.BytesIO(part.blob))
        assert picture.size == (1280, 600)
        assert len(picture.convert("RGB").getcolors(1 << 24)) > 10  # drawn, not blank


def test_periods() -> None:
    now = datetime(2025, 7, 10, 5, 0)  # 12:00 on 10 July in Việt Nam
    week = parse_period("week", now)
    assert (week.start, week.end) == (datetime(2025, 7, 3, 17, 0), now)
    assert parse_period("month", now).start == datetime(2025, 6, 10, 17, 0)
    june = parse_period("2025-06", now)
    assert (june.start, june.end) == (datetime(2025, 5, 31, 17, 0), datetime(2025, 6, 30, 17, 0))
    assert parse_period("2025-07", now).end == now  # this month: up to now
    for bad in ("2025-13", "july", "2025-7", "2025-08"):
        with pytest.raises(ReportError, match="period"):
            parse_period(bad, now)


def _cats(value: object) -> list[str]:
    import json

    return json.loads(value) if isinstance(value, str) else list(value)  # type: ignore[arg-type]


def _dt(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@pytest.mark.slow
def test_pdf_renders_a_first_page(tmp_path: Path) -> None:
    """The report as PDF through LibreOffice; page 1 read back and drawn to PNG (pdftoppm)."""
    if not shutil.which("soffice") or not shutil.which("pdftoppm"):
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice and poppler-utils are installed by `make test-deps` on CI")
        pytest.skip("soffice or pdftoppm missing (make test-deps installs them)")
    db = Database(f"sqlite:///{tmp_path / 'pm.db'}")
    store_month(db)
    period = parse_period("2025-07", datetime(2026, 1, 1))
    number, _name, content = make_report(db, OPTIONS, period, "Ngọc Hồi", "pdf")
    db.dispose()
    out = tmp_path / "bao-cao.pdf"
    out.write_bytes(content)
    assert out.read_bytes().startswith(b"%PDF")
    page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(out), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BÁO CÁO", "Từ ngày 01/07/2025"):
        assert words in page
    assert f"Số: {number}/BC-BPTD" in page
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True)
    assert "LiberationSerif" in fonts.stdout or "TimesNewRoman" in fonts.stdout
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(out),
         str(ARTIFACTS / "report-page-1")],
        check=True, timeout=60,
    )  # fmt: skip
    picture = Image.open(ARTIFACTS / "report-page-1.png")
    width, height = picture.size
    assert abs(height / width - 297 / 210) < 0.01  # an A4 page
    assert len(picture.convert("L").getcolors(256)) > 20  # text and charts, not blank


def test_cli_refuses_an_unknown_locality_and_a_bad_period(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    config = write_config(tmp_path / "config.yaml", database_url=f"sqlite:///{tmp_path / 'p.db'}")
    run = CliRunner().invoke
    base = ["--config", str(config), "report", "--format", "docx"]
    unknown = run(cli, [*base, "--period", "week", "--locality", "Hà Nội"])
    assert unknown.exit_code == 2 and "unknown locality 'Hà Nội'" in unknown.output
    bad = run(cli, [*base, "--period", "2025-13"])
    assert bad.exit_code == 1 and "period '2025-13': use week, month or YYYY-MM" in bad.output
    out = tmp_path / "r.docx"
    made = run(cli, [*base, "--period", "week", "--output", str(out)])
    assert made.exit_code == 0, made.output
    assert Document(str(out)).paragraphs[0].text == "BÁO CÁO"


def test_a_report_on_one_locality_counts_only_its_alerts(db: Database) -> None:
    """Alert figures narrow to the locality's alerts (checked with plain SQL); collected
    items are shared by all localities and count in full."""
    from alerts.overview import figures
    from storage.localities import record_alert_localities

    month = store_month(db)
    with db.session() as s:
        for row, alert_id in month.alert_ids.items():
            record_alert_localities(s, alert_id, ["bo-y" if row % 2 else "sa-loong"])
    start, end = datetime(2025, 6, 30, 17), datetime(2025, 7, 31, 17)
    per_key = dict(
        sql(db, "SELECT locality_key, count(*) FROM alert_localities GROUP BY locality_key")
    )
    with db.session() as s:
        everything = figures(s, start, end)
        bo_y = figures(s, start, end, "Bờ Y", allowed=["bo-y"])
    assert per_key["bo-y"] > 0 and per_key["sa-loong"] > 0
    assert everything.alerts_total == per_key["bo-y"] + per_key["sa-loong"]
    assert bo_y.alerts_total == per_key["bo-y"]
    assert bo_y.items_total == everything.items_total
    assert [key for key, _, _ in bo_y.localities] == ["bo-y"]
    assert {c.alert_id for c in bo_y.clarifications} <= {
        alert_id for row, alert_id in month.alert_ids.items() if row % 2
    }
    _, _, content = make_report(
        db, OPTIONS, parse_period("2025-07", end), "Bờ Y", "docx", allowed=["bo-y"]
    )
    assert "Bờ Y" in "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
