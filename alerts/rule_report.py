"""How each rule fares with the analysts: the precision of a rule, measured by verdicts.

The dev set says how a rule does on text the team wrote; the verdicts say how it does on
what the office really receives. A rule whose alerts are mostly dismissed costs analysts
time; ops should see it and narrow it. An alert "counts for" a rule when the rule made a
contribution to its score (or, for alerts analysed before scores were explained, when it
matched). Verified true, verified false and misleading all mean the alert was worth an
analyst's look (it was a claim to check); dismissed means it was not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.localities import in_localities
from storage.models import Alert, Analysis

WORTH_A_LOOK = ("verified_true", "verified_false", "misleading")


@dataclass
class RuleVerdicts:
    rule: str
    alerts: int = 0
    open: int = 0
    verified_true: int = 0
    verified_false: int = 0
    misleading: int = 0
    dismissed: int = 0

    @property
    def decided(self) -> int:
        return self.verified_true + self.verified_false + self.misleading + self.dismissed

    @property
    def precision(self) -> float | None:
        """Share of decided alerts that were worth a look; None before any verdict."""
        if not self.decided:
            return None
        return (self.decided - self.dismissed) / self.decided

    @property
    def mostly_dismissed(self) -> bool:
        return self.decided >= 3 and self.dismissed * 2 > self.decided


def rule_verdicts(
    session: Session, batch_size: int = 1000, allowed: Sequence[str] | None = None
) -> list[RuleVerdicts]:
    """One row per rule that contributed to an alert, worst precision first (``allowed``:
    only the alerts of these localities)."""
    figures: dict[str, RuleVerdicts] = defaultdict(lambda: RuleVerdicts(""))
    query = select(Alert.status, Analysis.explanation, Analysis.matches).join(
        Analysis, Analysis.item_id == Alert.item_id
    )
    if allowed is not None:
        query = query.where(in_localities(allowed))
    rows = session.execute(query.execution_options(yield_per=batch_size))
    for status, explanation, matches in rows:
        for rule in _contributing_rules(explanation, matches):
            row = figures[rule]
            row.rule = rule
            row.alerts += 1
            if status in ("new", "in_review"):
                row.open += 1
            elif hasattr(row, status):
                setattr(row, status, getattr(row, status) + 1)
    return sorted(
        figures.values(),
        key=lambda r: (r.precision if r.precision is not None else 2.0, -r.alerts, r.rule),
    )


def _contributing_rules(explanation: dict | None, matches: list | None) -> set[str]:
    if explanation and explanation.get("contributions") is not None:
        return {c["rule"] for c in explanation["contributions"] if c.get("value", 0) > 0}
    return {m["rule"] for m in matches or [] if m.get("weight", 0) > 0}
