"""The arithmetic behind a score, as analysts read it (review pages, `alerts show`, digest).

The analysis stores an ``explanation`` next to its score (storage: Analysis.explanation):

    {"contributions": [{"rule", "category", "field": "title"|"text", "weight",
                        "factors": [{"name", "label_vi", "value"}], "value"}],
     "trust", "trust_factor", "total", "score", "threshold", "flagged", "notes_vi": [...]}

This module only presents it; it computes nothing. An analysis made before explanations
existed has none, and the reader is told so instead of being shown a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alerts.labels import CATEGORY_LABELS, CONTRIBUTION_LABELS, FIELD_LABELS, TRUST_LABELS
from alerts.scores import format_score

MISSING = "chưa có giải thích cho điểm này (phân tích trước khi có tính năng giải thích)"


@dataclass(frozen=True)
class Contribution:
    rule: str
    category: str
    surface: str  # the words as found ("" when the analysis did not record them)
    field: str
    weight: str
    factors: list[tuple[str, str]]  # (label, value)
    value: str


@dataclass(frozen=True)
class Explanation:
    contributions: list[Contribution]
    trust: str
    trust_factor: str
    total: str
    score: str
    threshold: str
    flagged: bool
    notes: list[str] = field(default_factory=list)


def explain(raw: dict[str, Any] | None) -> Explanation | None:
    """The stored explanation with Vietnamese labels and rounded numbers; None when absent
    or not in the expected shape."""
    if not raw or not isinstance(raw, dict):
        return None
    try:
        contributions = [
            Contribution(
                rule=str(c["rule"]),
                category=CONTRIBUTION_LABELS.get(c["category"], c["category"]),
                surface=str(c.get("surface") or ""),
                field=FIELD_LABELS.get(c["field"], c["field"]),
                weight=_number(c["weight"]),
                factors=[(f["label_vi"], _number(f["value"])) for f in c.get("factors", [])],
                value=_number(c["value"]),
            )
            for c in raw.get("contributions", [])
        ]
        return Explanation(
            contributions=contributions,
            trust=TRUST_LABELS.get(raw["trust"], raw["trust"]),
            trust_factor=_number(raw["trust_factor"]),
            total=_number(raw["total"]),
            score=format_score(float(raw["score"])),
            threshold=format_score(float(raw["threshold"])),
            flagged=bool(raw["flagged"]),
            notes=[_labelled(str(n)) for n in raw.get("notes_vi", [])],
        )
    except (KeyError, TypeError, ValueError):
        return None


def explanation_lines(raw: dict[str, Any] | None) -> list[str]:
    """Plain-text lines (for `alerts show` and the text part of the digest)."""
    view = explain(raw)
    if view is None:
        return [f"Cách tính điểm: {MISSING}."]
    lines = ["Cách tính điểm:"]
    for c in view.contributions:
        factors = "".join(f" × {label} {value}" for label, value in c.factors)
        found = f"«{c.surface}» ({c.rule})" if c.surface else f"«{c.rule}»"
        lines.append(
            f"  + {c.category} {found} ở {c.field}: trọng số {c.weight}{factors} = {c.value}"
        )
    lines.append(
        f"  Cộng: {view.total} × hệ số tin cậy của nguồn ({view.trust}) {view.trust_factor}"
        f" = {view.score}; ngưỡng {view.threshold}: "
        + ("đạt ngưỡng, được gắn cờ" if view.flagged else "không được gắn cờ")
    )
    lines += [f"  Ghi chú: {note}" for note in view.notes]
    return lines


def _labelled(note: str) -> str:
    """Notes name categories by key («urgency»); analysts read their labels."""
    for key, label in CATEGORY_LABELS.items():
        note = note.replace(f"«{key}»", f"«{label}»")
    return note


def _number(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return f"{number:g}" if number == round(number, 2) else f"{number:.2f}"
