"""The analysis of one item: locality mentions, rule matches, score and flag.

Title and text are analyzed as one document (so a place named in the title finds its
context in the text), and every result says which field it is in, with offsets into that
field as given.

Score (documented in the README):
    score = trust_factor(source) * sum over categories c of w(c)
where w(c) is the weight of the strongest match of category c, times the title multiplier
when that match is in the title. A category counts once however many of its words match, so
synonyms and repetition do not pile up; negative weights (official-denial markers) lower the
score, which never goes below 0. Flagged when the item mentions the locality and the score
reaches the threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nlp.gazetteer import build_gazetteer
from nlp.locality import LocalityTagger
from nlp.matcher import PhraseMatcher
from nlp.normalize import FoldedText, fold_with_offsets
from nlp.rules import KeywordRule, RuleSet

SEPARATOR = "\n|\n"


@dataclass(frozen=True, slots=True)
class Span:
    """A found span in the joined document, before it is split into title and text."""

    start: int
    end: int
    surface: str


@dataclass(frozen=True)
class AnalysisResult:
    localities: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    score: float = 0.0
    flagged: bool = False

    @property
    def categories(self) -> list[str]:
        return sorted({m["category"] for m in self.matches if m["weight"] > 0})


class Analyzer:
    """Built once per rule set (the automata are the costly part), then used per item."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.version = rules.version
        spec = rules.locality
        gazetteer = build_gazetteer(spec.province, spec.district, list(spec.aliases))
        self.tagger = LocalityTagger(
            gazetteer, spec.context_words, spec.conflict_words, spec.window
        )
        self.keywords: PhraseMatcher[KeywordRule] = PhraseMatcher(
            (rule.phrase, rule) for rule in rules.keywords
        )
        self.patterns = [(rule, re.compile(rule.pattern)) for rule in rules.patterns]

    @staticmethod
    def document(text: str, title: str = "") -> FoldedText:
        """Title and text as one folded document (what the rules are matched on)."""
        return fold_with_offsets(f"{title}{SEPARATOR}{text}" if title else text)

    def analyze(self, text: str, title: str = "", trust: str = "press") -> AnalysisResult:
        offset = len(title) + len(SEPARATOR) if title else 0
        folded = self.document(text, title)

        def place(start: int, end: int) -> dict[str, Any]:
            if start >= offset:
                return {"start": start - offset, "end": end - offset, "field": "text"}
            return {"start": start, "end": min(end, len(title)), "field": "title"}

        localities = [
            {"unit": m.unit, "surface": m.surface, **place(m.start, m.end)}
            for m in self.tagger.tag(folded)
        ]
        matches = [
            {
                "rule": rule,
                "category": category,
                "surface": span.surface,
                **place(span.start, span.end),
                "weight": weight,
            }
            for rule, category, weight, span in self._match(folded)
        ]
        score = self._score(matches, trust)
        flagged = bool(localities) and score >= self.rules.scoring.threshold
        return AnalysisResult(localities, matches, score, flagged)

    def _match(self, folded: FoldedText) -> list[tuple[str, str, float, Span]]:
        found = [
            (
                hit.payload.name,
                hit.payload.category,
                hit.payload.weight,
                Span(hit.start, hit.end, hit.surface),
            )
            for hit in self.keywords.find(folded)
        ]
        found = _drop_nested(found)
        for rule, regex in self.patterns:
            for m in regex.finditer(folded.folded):
                if m.end() == m.start():
                    continue
                start, end = folded.span(m.start(), m.end())
                found.append(
                    (
                        rule.name,
                        rule.category,
                        rule.weight,
                        Span(start, end, folded.original[start:end]),
                    )
                )
        found.sort(key=lambda f: (f[3].start, f[3].end))
        return found

    def _score(self, matches: list[dict[str, Any]], trust: str) -> float:
        scoring = self.rules.scoring
        strongest: dict[str, float] = {}
        for match in matches:
            weight = match["weight"] * (
                scoring.title_multiplier if match["field"] == "title" else 1.0
            )
            category = match["category"]
            if category not in strongest or abs(weight) > abs(strongest[category]):
                strongest[category] = weight
        total = sum(strongest.values()) * scoring.trust_factor(trust)
        return round(max(total, 0.0), 3)


def _drop_nested(
    found: list[tuple[str, str, float, Span]],
) -> list[tuple[str, str, float, Span]]:
    """'sai sự thật' inside 'thông tin sai sự thật' is one finding, the longer one."""
    found.sort(key=lambda f: (f[3].start, -(f[3].end - f[3].start)))
    kept: list[tuple[str, str, float, Span]] = []
    for entry in found:
        span = entry[3]
        if any(
            k[3].start <= span.start and span.end <= k[3].end and k[3] != span for k in kept[-8:]
        ):
            continue
        kept.append(entry)
    return kept
