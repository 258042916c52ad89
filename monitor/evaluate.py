"""Accuracy on a labelled set: what `press-monitor eval` prints and the CI gate checks.

A rule pack is only as good as its figures on text it must handle, so they are measured the
way trafilatura measures extraction: a labelled set in the repository, floors in a file,
and a test that fails when a change makes the figures fall below them.

Rows are JSON lines as for ``analyze-text`` (``id``, ``text``, ``title``, optional ``trust``)
plus the labels ``ours`` (the text is about the watched locality) and ``flag`` (an analyst
must see it), and optionally ``claim`` (it carries a claim to check, wherever it happens)
and ``topics`` (what kind of claim, for per-topic figures). Predictions are the ones an
analyst gets: ``ours`` when a locality is tagged, ``claim`` when the score reaches the
threshold, ``flag`` when the item is flagged.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.analyzer import Analyzer


class EvalInputError(ValueError):
    """A labelled file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    text: str
    trust: str
    ours: bool
    flag: bool
    claim: bool | None
    topics: tuple[str, ...]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class RuleFigures:
    hits: int = 0
    on_negatives: int = 0


@dataclass
class EvalReport:
    cases: int = 0
    locality: Counts = field(default_factory=Counts)
    flag: Counts = field(default_factory=Counts)
    claim: Counts = field(default_factory=Counts)
    topics: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    rules: dict[str, RuleFigures] = field(default_factory=lambda: defaultdict(RuleFigures))
    misses: list[dict[str, Any]] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        """The numbers the floors file constrains."""
        return {
            "locality_precision": self.locality.precision,
            "locality_recall": self.locality.recall,
            "locality_f1": self.locality.f1,
            "flag_precision": self.flag.precision,
            "flag_recall": self.flag.recall,
            "claim_precision": self.claim.precision,
            "claim_recall": self.claim.recall,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "locality": self.locality.as_dict(),
            "flag": self.flag.as_dict(),
            "claim": self.claim.as_dict(),
            "topics": {k: v.as_dict() for k, v in sorted(self.topics.items())},
            "rules": {
                k: {"hits": v.hits, "on_negatives": v.on_negatives}
                for k, v in sorted(self.rules.items())
            },
            "misses": self.misses,
        }


def read_cases(paths: Iterable[Path]) -> list[Case]:
    cases = []
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            cases.extend(_read_file(file))
    return cases


def _read_file(path: Path) -> list[Case]:
    cases = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"{path}: cannot read: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            cases.append(
                Case(
                    id=str(row.get("id", f"{path.name}:{number}")),
                    title=str(row.get("title") or ""),
                    text=str(row["text"]),
                    trust=str(row.get("trust") or "press"),
                    ours=bool(row["ours"]),
                    flag=bool(row["flag"]),
                    claim=bool(row["claim"]) if "claim" in row else None,
                    topics=tuple(row.get("topics") or ()),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise EvalInputError(f"{path}:{number}: not a labelled row ({exc!r})") from None
    return cases


def evaluate(analyzer: Analyzer, cases: Iterable[Case]) -> EvalReport:
    report = EvalReport()
    threshold = analyzer.rules.scoring.threshold
    for case in cases:
        result = analyzer.analyze(case.text, case.title, case.trust)
        report.cases += 1
        predicted_ours = bool(result.localities)
        predicted_claim = result.score >= threshold
        report.locality.add(case.ours, predicted_ours)
        report.flag.add(case.flag, result.flagged)
        if case.claim is not None:
            report.claim.add(case.claim, predicted_claim)
        truth = case.claim if case.claim is not None else case.flag
        for topic in case.topics or ("(none)",):
            report.topics[topic].add(truth, predicted_claim)
        for rule in {m["rule"] for m in result.matches}:
            report.rules[rule].hits += 1
            report.rules[rule].on_negatives += int(not truth)
        if case.flag != result.flagged or (
            case.claim is not None and case.claim != predicted_claim
        ):
            report.misses.append(_miss(case, result.flagged, predicted_claim, result))
    return report


def _miss(case: Case, flagged: bool, claim: bool, result: Any) -> dict[str, Any]:
    return {
        "id": case.id,
        "expected": {"ours": case.ours, "claim": case.claim, "flag": case.flag},
        "got": {"ours": bool(result.localities), "claim": claim, "flag": flagged},
        "score": result.score,
        "rules": sorted({m["rule"] for m in result.matches}),
    }


def below_floors(report: EvalReport, floors: dict[str, float]) -> list[str]:
    """The figures under their floor, as lines to print; empty when the gate passes."""
    figures = report.figures()
    unknown = sorted(set(floors) - set(figures))
    if unknown:
        raise EvalInputError(f"floors name unknown figures: {', '.join(unknown)}")
    return [
        f"{name}: {figures[name]:.3f} is below the floor {floor:.3f}"
        for name, floor in sorted(floors.items())
        if figures[name] + 1e-9 < floor
    ]


def format_report(report: EvalReport, show_misses: bool = True) -> str:
    lines = [f"cases: {report.cases}"]
    for name, counts in (
        ("locality", report.locality),
        ("flag", report.flag),
        ("claim", report.claim),
    ):
        lines.append(
            f"{name:9} precision {counts.precision:.3f}  recall {counts.recall:.3f}  "
            f"f1 {counts.f1:.3f}  (tp {counts.tp}, fp {counts.fp}, fn {counts.fn}, tn {counts.tn})"
        )
    lines.append("per topic (claim detection: score >= threshold):")
    for topic, counts in sorted(report.topics.items()):
        lines.append(
            f"  {topic:20} recall {counts.recall:.2f}  precision {counts.precision:.2f}  "
            f"(tp {counts.tp}, fn {counts.fn}, fp {counts.fp})"
        )
    lines.append("per rule (cases hit, of which labelled negative):")
    ranked = sorted(report.rules.items(), key=lambda kv: (-kv[1].hits, kv[0]))
    for rule, figures in ranked:
        lines.append(f"  {rule:40} {figures.hits:4}  {figures.on_negatives:4}")
    if show_misses and report.misses:
        lines.append("misses:")
        kinds = Counter()
        for miss in report.misses:
            kind = _miss_kind(miss)
            kinds[kind] += 1
            lines.append(
                f"  {miss['id']}: {kind}; score {miss['score']}; rules {', '.join(miss['rules'])}"
            )
        lines.append("  " + ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())))
    return "\n".join(lines)


def _miss_kind(miss: dict[str, Any]) -> str:
    expected, got = miss["expected"], miss["got"]
    if expected["flag"] != got["flag"]:
        return "missed flag" if expected["flag"] else "false flag"
    return "missed claim" if expected["claim"] else "false claim"
