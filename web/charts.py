"""The overview's charts: SVG drawn on the server by pygal, shown as images.

pygal (maintained, pure Python, no JavaScript build) writes standalone SVG; its tooltip
script is turned off, so the charts are plain images that work under the pages' CSP
(no script) and print as they look.
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


def alerts_by_category(days: list[date], series: dict[str, list[int]]) -> str:
    title = "Dấu hiệu trong cảnh báo mỗi ngày (một cảnh báo có thể có nhiều dấu hiệu)"
    chart = pygal.StackedBar(**_config(title), y_labels=_counts(series, stacked=True))
    chart.x_labels = _days(days)
    for category, counts in series.items():
        chart.add(CATEGORY_LABELS.get(category, category), counts)
    return _data_uri(chart)


def items_by_source(days: list[date], series: dict[str, list[int]]) -> str:
    chart = pygal.Line(
        **_config("Tin thu thập mỗi ngày theo nguồn"), dots_size=2, y_labels=_counts(series)
    )
    chart.x_labels = _days(days)
    for source, counts in series.items():
        chart.add(source, counts)
    return _data_uri(chart)


def verdicts(counts: dict[str, int]) -> str:
    """One bar per status, named on the axis and with its count, so no legend to decode."""
    chart = pygal.HorizontalBar(
        **{**_config("Cảnh báo theo trạng thái xác minh"), "print_values": True},
        show_legend=False,
        y_labels=_counts({"": list(counts.values())}),
    )
    chart.x_labels = list(STATUS_LABELS.values())
    chart.add("Cảnh báo", [counts.get(status, 0) for status in STATUS_LABELS])
    return _data_uri(chart)


def _counts(series: dict[str, list[int]], stacked: bool = False) -> list[int]:
    """Whole-number axis labels (pygal would label counts 0.2, 0.4, ...), about 8 of them."""
    if stacked:
        top = max((sum(day) for day in zip(*series.values(), strict=True)), default=0)
    else:
        top = max((n for counts in series.values() for n in counts), default=0)
    step = max(1, -(-top // 8))
    return list(range(0, top + step, step)) if top else [0, 1]


def _data_uri(chart: Any) -> str:
    svg = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
