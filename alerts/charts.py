"""The office's charts, drawn on the server by pygal: SVG for the overview page, PNG for
the reports upward. One definition per chart, so a page and a report look the same.

pygal (maintained, pure Python, no JavaScript build) writes standalone SVG; its tooltip
script is turned off, so the charts are plain images that work under the pages' CSP
(no script) and print as they look. For a Word document the same SVG goes through pygal's
own PNG route, CairoSVG (maintained; needs the system's libcairo2): a second plotting
library (matplotlib) would mean drawing every chart twice. Text is drawn in Arial, which
fontconfig maps to Liberation Sans (Debian's fonts-liberation), a font with every
Vietnamese letter.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pygal
from pygal.style import Style

from alerts.labels import CATEGORY_LABELS, STATUS_LABELS

STYLE = Style(
    background="white",
    plot_background="white",
    font_family="Arial, sans-serif",
    title_font_size=16,
    legend_font_size=12,
    label_font_size=11,
)


def _config(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "style": STYLE,
        "js": [],
        "width": 900,
        "height": 320,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 3,
        "x_label_rotation": 0,
        "show_minor_x_labels": True,
        "print_values": False,
        "no_data_text": "Chưa có dữ liệu",
        "disable_xml_declaration": True,
    }


def _days(days: list[date]) -> list[str]:
    return [d.strftime("%d/%m") for d in days]


def _day_axis(days: list[date]) -> dict[str, Any]:
    """A month of days does not fit as labels: then every 5th day is named."""
    if len(days) <= 16:
        return {}
    return {"show_minor_x_labels": False, "x_labels_major_every": 5, "truncate_label": -1}


def alerts_by_category(days: list[date], series: dict[str, list[int]]) -> Any:
    title = "Dấu hiệu trong cảnh báo mỗi ngày (một cảnh báo có thể có nhiều dấu hiệu)"
    chart = pygal.StackedBar(
        **{**_config(title), **_day_axis(days), **_y_labels(series, stacked=True)}
    )
    chart.x_labels = _days(days)
    for category, counts in series.items():
        chart.add(CATEGORY_LABELS.get(category, category), counts)
    return chart


def items_by_source(days: list[date], series: dict[str, list[int]]) -> Any:
    chart = pygal.Line(
        **{**_config("Tin thu thập mỗi ngày theo nguồn"), **_day_axis(days), **_y_labels(series)},
        dots_size=2,
    )
    chart.x_labels = _days(days)
    for source, counts in series.items():
        chart.add(source, counts)
    return chart


def verdicts(counts: dict[str, int]) -> Any:
    """One bar per status, named on the axis and with its count, so no legend to decode."""
    chart = pygal.HorizontalBar(
        **{**_config("Cảnh báo theo trạng thái xác minh"), "print_values": True},
        show_legend=False,
        y_labels=_counts({"": list(counts.values())}),
    )
    chart.x_labels = list(STATUS_LABELS.values())
    chart.add("Cảnh báo", [counts.get(status, 0) for status in STATUS_LABELS])
    return chart


def _y_labels(series: dict[str, list[int]], stacked: bool = False) -> dict[str, Any]:
    """Whole-number labels; none for a chart without series, which pygal draws as its
    no-data text (given labels and no series, pygal 3 fails)."""
    return {"y_labels": _counts(series, stacked)} if series else {}


def _counts(series: dict[str, list[int]], stacked: bool = False) -> list[int]:
    """Whole-number axis labels (pygal would label counts 0.2, 0.4, ...), about 8 of them."""
    if stacked:
        top = max((sum(day) for day in zip(*series.values(), strict=True)), default=0)
    else:
        top = max((n for counts in series.values() for n in counts), default=0)
    step = max(1, -(-top // 8))
    return list(range(0, top + step, step)) if top else [0, 1]


def png(chart: Any, width: int = 640, height: int = 300, scale: float = 2) -> bytes:
    """The chart's SVG as a PNG image (CairoSVG, as pygal's render_to_png, which cannot
    scale), for a printed page: drawn on a
    narrower canvas than the page's (so its text prints at a readable size once the image
    is 16 cm wide) and at twice the pixels (sharp on paper)."""
    chart.width, chart.height = width, height
    chart.truncate_legend = -1  # a category's whole name, never «Giả mạo cơ quan chức nă…»
    import cairosvg  # only reports need it: the pages never load cairo

    return cairosvg.svg2png(bytestring=chart.render(), scale=scale)


def data_uri(chart: Any) -> str:
    """The chart as SVG in a data: URI, for an <img> under the pages' CSP."""
    svg = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
