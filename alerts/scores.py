"""One rounding of scores for every place an analyst or another tool sees one.

Half-up to one decimal (2.25 -> 2.3), not Python's round-half-even on binary floats, so the
queue, the alert page, the digest, `alerts list` and the export never disagree.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PLACES = Decimal("0.1")


def round_score(value: float) -> float:
    return float(Decimal(repr(value)).quantize(PLACES, rounding=ROUND_HALF_UP))


def format_score(value: float) -> str:
    return f"{round_score(value):.1f}"
