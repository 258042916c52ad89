"""The report upward as a Word document: the administrative layout, part by part.

A4, margins 20/20/30/15 mm, Times New Roman 13 pt (Nghị định 30/2020/NĐ-CP); a heading
table with the governing body and the office (left, capitals, the office in bold) and the
national motto (right); "Số: n/BC-CODE" and the date line; the title BÁO CÁO; sections I to
IV; recipients and signature. Written with python-docx; every figure is a field of
``alerts.overview.Figures``, charts are ``alerts.charts`` as PNG.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from alerts import charts
from alerts.labels import CATEGORY_LABELS, KIND_LABELS, STATUS_LABELS
from alerts.local_times import local_date
from alerts.overview import VIETNAM, Figures

if TYPE_CHECKING:
    from alerts.report import Period, ReportOptions

TEXT_WIDTH_CM = 16.5  # A4 (21 cm) less the 3 cm and 1.5 cm margins

FONT = "Times New Roman"


def build_docx(
    figs: Figures,
    period: Period,
    options: ReportOptions,
    number: int,
    locality: str,
    made: datetime,
) -> bytes:
    """The report as .docx bytes."""
    doc = Document()
    _page_and_fonts(doc)
    _heading(doc, options, number, made)
    shown_end = period.end - timedelta(microseconds=1)
    _para(doc, "BÁO CÁO", bold=True, align="center", space_before=12)
    _para(
        doc,
        "Kết quả theo dõi, xác minh thông tin trên báo chí và mạng xã hội",
        bold=True,
        align="center",
    )
    _para(doc, f"về địa bàn {locality}", bold=True, align="center")
    _para(
        doc,
        f"(Từ ngày {local_date(period.start, options.timezone)} "
        f"đến ngày {local_date(shown_end, options.timezone)})",
        italic=True,
        align="center",
        space_after=12,
    )
    _situation(doc, figs, locality)
    _stories(doc, figs, options)
    _clarifications(doc, figs, options)
    _failing_and_proposals(doc, figs)
    _closing(doc, options)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- the parts ---------------------------------------------------------------------------


def _page_and_fonts(doc: Document) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)  # TEXT_WIDTH_CM between them
    for name in ("Normal", "Table Grid"):
        style = doc.styles[name]
        style.font.name = FONT
        style.font.size = Pt(13)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
    normal = doc.styles["Normal"].paragraph_format
    normal.space_after = Pt(4)
    normal.line_spacing = 1.15


def _heading(doc: Document, options: ReportOptions, number: int, made: datetime) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = _widths(table, Cm(7), Cm(9.5))
    _cell(left, options.parent.upper(), size=11)
    _cell(left, options.office.upper(), bold=True, size=11, new=True)
    _cell(left, f"Số: {number}/BC-{options.code}", size=13, new=True, space_before=6)
    _cell(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
    _cell(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, new=True)
    local = made + VIETNAM
    _cell(
        right,
        f"{options.place}, ngày {local.day:02d} tháng {local.month:02d} năm {local.year}",
        italic=True,
        size=13,
        new=True,
        space_before=6,
    )


def _situation(doc: Document, figs: Figures, locality: str) -> None:
    _para(doc, "I. TÌNH HÌNH CHUNG", bold=True, space_before=6)
    decided = figs.verdict_times
    _para(
        doc,
        f"Trong kỳ, hệ thống thu thập {figs.items_total} tin từ {len(figs.sources)} nguồn, "
        f"gắn cờ {figs.alerts_total} tin cần xác minh; {decided.decided} cảnh báo đã có "
        f"kết luận xác minh.",
        indent=True,
    )
    _para(doc, "1. Tin thu thập và tin bị gắn cờ theo loại nguồn", bold=True, italic=True)
    _table(
        doc,
        ["Loại nguồn", "Tin thu thập", "Tin bị gắn cờ"],
        [[KIND_LABELS.get(k, k), str(i), str(a)] for k, i, a in figs.kinds]
        + [["Tổng cộng", str(figs.items_total), str(figs.alerts_total)]],
    )
    _para(doc, "2. Theo địa bàn", bold=True, italic=True)
    _table(
        doc,
        ["Địa bàn", "Tin thu thập", "Tin bị gắn cờ"],
        [[locality, str(figs.items_total), str(figs.alerts_total)]],
    )
    _para(doc, "3. Cảnh báo theo dấu hiệu và kết luận xác minh", bold=True, italic=True)
    statuses = list(STATUS_LABELS)
    verdicts = _table(
        doc,
        ["Dấu hiệu", *STATUS_LABELS.values(), "Cộng"],
        [
            [
                CATEGORY_LABELS.get(c, c),
                *(str(counts.get(s, 0)) for s in statuses),
                str(sum(counts.values())),
            ]
            for c, counts in figs.category_verdicts.items()
        ]
        + [
            [
                "Tổng số cảnh báo",
                *(str(figs.verdicts.get(s, 0)) for s in statuses),
                str(figs.alerts_total),
            ]
        ],
        size=10,
    )
    # the category names are the long ones: a wide first column keeps each on one line or two
    rest = (TEXT_WIDTH_CM - 4.2) / (len(statuses) + 1)
    _column_widths(verdicts, [Cm(4.2), *(Cm(rest) for _ in range(len(statuses) + 1))])
    if decided.median_hours is None:
        timing = "Chưa có cảnh báo nào của kỳ được kết luận."
    else:
        timing = (
            f"Thời gian từ khi gắn cờ đến khi có kết luận xác minh: trung vị "
            f"{_hours(decided.median_hours)} giờ, trung bình {_hours(decided.mean_hours)} giờ "
            f"({decided.decided} cảnh báo)."
        )
    _para(doc, "4. " + timing, indent=True)
    _para(doc, "5. Biểu đồ", bold=True, italic=True)
    for chart in (
        charts.alerts_by_category(figs.series_days, figs.alerts_by_category),
        charts.verdicts(figs.verdicts),
    ):
        doc.add_picture(io.BytesIO(charts.png(chart)), width=Cm(16))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _stories(doc: Document, figs: Figures, options: ReportOptions) -> None:
    _para(doc, "II. CÁC VỤ VIỆC NỔI BẬT", bold=True, space_before=6)
    if not figs.main_stories:
        _para(doc, "Trong kỳ không có vụ việc nào lan truyền trên nhiều nguồn.", indent=True)
    for n, story in enumerate(figs.main_stories, 1):
        s = story.spread
        sources = ", ".join(f"{name} ({count})" for name, count in s.per_source)
        _para(
            doc,
            f"{n}. «{story.title}»: {s.items} tin từ {len(s.per_source)} nguồn ({sources}); "
            f"xuất hiện lần đầu ngày {local_date(s.first_seen, options.timezone)}; "
            f"{story.alerts} cảnh báo.",
            indent=True,
        )


def _clarifications(doc: Document, figs: Figures, options: ReportOptions) -> None:
    _para(doc, "III. CÔNG TÁC ĐÍNH CHÍNH VÀ CUNG CẤP THÔNG TIN CHO BÁO CHÍ", bold=True)
    _para(
        doc,
        f"Đã công bố {len(figs.clarifications)} thông tin đính chính; gửi "
        f"{figs.bulletins_sent} thư bản tin cho các cơ quan báo chí.",
        indent=True,
    )
    for n, c in enumerate(figs.clarifications, 1):
        _para(
            doc,
            f"{n}. Ngày {local_date(c.published_at, options.timezone)}: «{c.claim}» — "
            f"kết luận: {STATUS_LABELS.get(c.status, c.status)}. {c.clarification}",
            indent=True,
        )


def _failing_and_proposals(doc: Document, figs: Figures) -> None:
    _para(doc, "IV. NGUỒN TIN GẶP LỖI VÀ ĐỀ XUẤT", bold=True, space_before=6)
    if not figs.failing:
        _para(doc, "1. Các nguồn tin hoạt động bình thường.", indent=True)
    else:
        _para(doc, "1. Nguồn tin không thu thập được:", indent=True)
        for name, count, error in figs.failing:
            _para(doc, f"- {name}: lỗi {count} lần liên tiếp ({error or 'không rõ'}).", indent=True)
    proposals = []
    if figs.failing:
        proposals.append("kiểm tra, khôi phục hoặc thay thế các nguồn tin đang lỗi nêu trên")
    waiting = figs.verdicts.get("new", 0) + figs.verdicts.get("in_review", 0)
    if waiting:
        proposals.append(f"hoàn thành xác minh {waiting} cảnh báo còn đang mở")
    if figs.verdict_times.median_hours is not None and figs.verdict_times.median_hours > 24:
        proposals.append("rút ngắn thời gian xác minh (trung vị hiện quá 24 giờ)")
    _para(
        doc,
        "2. Đề xuất: " + ("; ".join(proposals) + "." if proposals else "không có."),
        indent=True,
    )


def _closing(doc: Document, options: ReportOptions) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = _widths(table, Cm(7), Cm(9.5))
    _cell(left, "Nơi nhận:", bold=True, italic=True, size=12, align="left", space_before=12)
    _cell(left, f"- {options.parent};", size=11, new=True, align="left")
    _cell(left, "- Lưu: VT.", size=11, new=True, align="left")
    _cell(right, f"TM. {options.office.upper()}", bold=True, size=13, space_before=12)
    _cell(right, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, size=12, new=True)


# -- python-docx helpers -----------------------------------------------------------------


def _para(
    doc: Document,
    text: str,
    bold: bool = False,
    italic: bool = False,
    align: str = "justify",
    indent: bool = False,
    space_before: float = 0,
    space_after: float | None = None,
) -> Paragraph:
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    paragraph.alignment = _ALIGN[align]
    fmt = paragraph.paragraph_format
    if indent:
        fmt.first_line_indent = Cm(1)
    fmt.space_before = Pt(space_before)
    if space_after is not None:
        fmt.space_after = Pt(space_after)
    return paragraph


def _cell(
    cell: object,
    text: str,
    bold: bool = False,
    italic: bool = False,
    size: float = 13,
    new: bool = False,
    align: str = "center",
    space_before: float = 0,
) -> None:
    paragraph = cell.add_paragraph() if new else cell.paragraphs[0]  # type: ignore[attr-defined]
    run = paragraph.add_run(text)
    run.bold, run.italic, run.font.size = bold, italic, Pt(size)
    paragraph.alignment = _ALIGN[align]
    paragraph.paragraph_format.space_before = Pt(space_before)
    paragraph.paragraph_format.space_after = Pt(0)


def _table(doc: Document, header: list[str], rows: list[list[str]], size: float = 12) -> Table:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell(cell, text, bold=True, size=size)
    for row in rows:
        cells = table.add_row().cells
        for n, (cell, text) in enumerate(zip(cells, row, strict=True)):
            _cell(cell, text, size=size, align="left" if n == 0 else "center")
    doc.add_paragraph().paragraph_format.space_after = Pt(2)
    return table


def _widths(table: Table, *widths: Cm) -> list[object]:
    """Column widths that both Word and LibreOffice keep (grid and every cell)."""
    table.autofit = False
    cells = table.rows[0].cells
    for column, cell, width in zip(table.columns, cells, widths, strict=True):
        column.width = width
        cell.width = width
    return list(cells)


def _column_widths(table: Table, widths: list[Cm]) -> None:
    """Widths on the grid and on every cell of each column: LibreOffice reads the cells',
    Word the grid's; either alone lets the other autofit."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
