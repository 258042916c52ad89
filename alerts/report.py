"""The report upward: its period, the document (alerts.report_docx) or its PDF, and keeping it.

The layout follows the usual form of an administrative report (Nghị định 30/2020/NĐ-CP):
A4, margins 20/20/30/15 mm, Times New Roman 13 pt; a heading table with the governing body
and the office (left, capitals, the office in bold) and the national motto "CỘNG HÒA XÃ HỘI
CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc" (right); the number "Số: n/BC-CODE" and
the date line "Place, ngày dd tháng mm năm yyyy"; the title BÁO CÁO and what it reports on;
then I. the situation in figures, II. the main stories, III. clarifications and bulletins,
IV. failing sources and proposals; recipients and signature.

Every figure comes from ``alerts.overview.figures``, the overview page's function, for the
report's period. Charts are the overview's pygal charts as PNG (alerts.charts). The document
is written by python-docx; PDF is LibreOffice's conversion of that document (``soffice
--headless --convert-to pdf``), so the PDF is the Word file as an office would print it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from alerts.overview import VIETNAM, figures
from alerts.report_docx import build_docx
from storage.db import Database
from storage.documents import attach, drop_unfinished, new_report
from storage.models import utcnow

PDF_TIMEOUT = 180


class ReportError(RuntimeError):
    """A report that cannot be made (a bad period, no LibreOffice for PDF)."""


@dataclass(frozen=True)
class ReportOptions:
    parent: str = "UBND tỉnh Quảng Ngãi"
    office: str = "Bộ phận theo dõi thông tin"
    code: str = "BPTD"
    place: str = "Quảng Ngãi"
    timezone: str = "Asia/Ho_Chi_Minh"
    failures: int = 3  # failures in a row that make a source "failing"


@dataclass(frozen=True)
class Period:
    """[start, end) in naive UTC; ``label`` as asked (week, month, 2025-07)."""

    label: str
    start: datetime
    end: datetime


def parse_period(spec: str, now: datetime) -> Period:
    """``week``: today and the 6 days before (Vietnamese days) up to now; ``month``: the
    same over 30 days; ``YYYY-MM``: that calendar month (up to now if it is this one)."""
    today = (now + VIETNAM).date()
    if spec in ("week", "month"):
        days = 7 if spec == "week" else 30
        return Period(spec, _midnight(today - timedelta(days=days - 1)), now)
    match = re.fullmatch(r"(\d{4})-(\d{2})", spec)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ReportError(f"period {spec!r}: use week, month or YYYY-MM (e.g. 2025-07)")
    year, month = int(match.group(1)), int(match.group(2))
    first = date(year, month, 1)
    if first > today:
        raise ReportError(f"period {spec!r} has not begun yet")
    last = first + timedelta(days=monthrange(year, month)[1])
    return Period(spec, _midnight(first), min(now, _midnight(last)))


def _midnight(day: date) -> datetime:
    """00:00 of a Vietnamese day, in naive UTC."""
    return datetime.combine(day, datetime.min.time()) - VIETNAM


def make_report(
    db: Database,
    options: ReportOptions,
    period: Period,
    locality: str,
    fmt: str,
    made: datetime | None = None,
    allowed: list[str] | None = None,
) -> tuple[int, str, bytes]:
    """Write the report and keep it (storage.documents); returns (number, file name, bytes).

    The row is made first so the document carries its number; a report that could not be
    written leaves no row behind."""
    made = made or utcnow()
    with db.session() as session:
        report_id = new_report(session, period.label, period.start, period.end, locality, fmt).id
    try:
        with db.session() as session:
            figs = figures(
                session,
                period.start,
                period.end,
                locality,
                options.failures,
                now=made,
                allowed=allowed,
            )
        content = build_docx(figs, period, options, report_id, locality, made)
        if fmt == "pdf":
            content = to_pdf(content)
    except BaseException:
        with db.session() as session:
            drop_unfinished(session, report_id)
        raise
    filename = f"bao-cao-{period.label}-so-{report_id}.{fmt}"
    with db.session() as session:
        attach(session, report_id, filename, content)
    return report_id, filename, content


def to_pdf(docx: bytes) -> bytes:
    """LibreOffice's PDF of the document, with a private profile per conversion so that two
    conversions at once (or a desktop LibreOffice of the same user) never collide."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ReportError(
            "PDF needs LibreOffice: install libreoffice-writer-nogui (soffice not found)"
        )
    with tempfile.TemporaryDirectory(prefix="press-monitor-pdf-") as tmp:
        work = Path(tmp)
        (work / "report.docx").write_bytes(docx)
        try:
            done = subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(work),
                    str(work / "report.docx"),
                ],
                capture_output=True,
                text=True,
                timeout=PDF_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ReportError(f"LibreOffice did not finish within {PDF_TIMEOUT} s") from None
        pdf = work / "report.pdf"
        if done.returncode != 0 or not pdf.exists():
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise ReportError(
                f"LibreOffice could not convert the report (exit {done.returncode}"
                + (f": {reason[-1]}" if reason else "")
                + ")"
            )
        return pdf.read_bytes()
