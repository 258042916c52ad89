"""One rounding of scores for every place an analyst or another tool sees one.

Half-up to one decimal (2.25 -> 2.3), not Python's round-half-even on binary floats, so the
queue, the alert page, the digest, `alerts list` and the export never disagree.
The learned model's probability is shown as a whole percentage, the same way everywhere.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PLACES = Decimal("0.1")


def round_score(value: float) -> float:
    return float(Decimal(repr(value)).quantize(PLACES, rounding=ROUND_HALF_UP))


def format_score(value: float) -> str:
    return f"{round_score(value):.1f}"


NO_PROBABILITY = "chưa có"  # no learned model yet when the item was analysed


def format_probability(value: float | None) -> str:
    """0.874 -> "87%"; None -> "chưa có"."""
    if value is None:
        return NO_PROBABILITY
    percent = Decimal(repr(value * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{percent}%"
