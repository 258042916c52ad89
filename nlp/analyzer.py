"""The analysis of one item: locality mentions, rule matches, score and flag.

Title and text are analyzed as one document (so a place named in the title finds its
context in the text), and every result says which field it is in, with offsets into that
field as given.

Score (documented in the README, explained to analysts contribution by contribution):

    score = max(0, trust(source) * sum over counted categories c of value(c))
    value(c) = the value of the strongest match of c, where for a match m
    value(m) = weight(m) * title(m) * place(m)
      title(m) = title_multiplier when m is in the title, else 1
      place(m) = 1 when the item names no watched place, when m is in the title, when a place
                 is named in the title, or when m lies within passage_chars of a mention of
                 the place in the same field; distant_factor otherwise

A category counts once however many of its rules match, so synonyms and repetition do not
pile up. Supporting categories (a concrete case: a victim, an amount, a fine; urgency) count
only when a non-supporting category with a positive value counts too: they strengthen a claim
and never make one. Negative weights (official-denial markers) lower the score. An item is
flagged when it mentions the locality and the score reaches the threshold.

Rules are keyword lists (phrases), regular expressions on the folded text (run with a time
budget, see nlp/regex_guard.py) and queries of the rule language (nlp/query.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from nlp.gazetteer import build_gazetteer
from nlp.locality import LocalityTagger, WatchedLocality
from nlp.matcher import PhraseMatcher, ScanGroup, Scanned
from nlp.normalize import FoldedText, fold_with_offsets
from nlp.query import CompiledQueries
from nlp.regex_guard import compile_guarded
from nlp.rules import KeywordRule, RuleSet, Scoring

SEPARATOR = "\n|\n"
log = logging.getLogger("press_monitor.nlp")

_FACTOR_LABELS = {
    "title": "trong tiêu đề",
    "distant": "xa nơi nhắc tới địa bàn",
}


class Span(NamedTuple):
    """A found span in the joined document, before it is split into title and text.

    Named tuples, this and ``_Found``: a few are made for every item, and a frozen
    dataclass sets each field through ``object.__setattr__`` (three times the cost)."""

    start: int
    end: int
    surface: str


@dataclass(frozen=True)
class AnalysisResult:
    localities: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    score: float = 0.0
    flagged: bool = False
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def categories(self) -> list[str]:
        return sorted({m["category"] for m in self.matches if m["weight"] > 0})


class _Found(NamedTuple):
    rule: str
    category: str
    weight: float
    span: Span
    hit: int | None = None  # the spans of one query hit share a number: they count as one


class Analyzer:
    """Built once per rule set (the automata are the costly part), then used per item."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.tagger = LocalityTagger(
            [
                WatchedLocality(
                    spec.key,
                    build_gazetteer(
                        spec.province,
                        spec.district,
                        list(spec.aliases),
                        communes=list(spec.communes),
                    ),
                    spec.context_words,
                    spec.conflict_words,
                    spec.window,
                )
                for spec in rules.localities
            ]
        )
        self.keywords: PhraseMatcher[KeywordRule] = PhraseMatcher(
            (rule.phrase, rule) for rule in rules.keywords
        )
        self.patterns = [(rule, compile_guarded(rule.pattern)) for rule in rules.patterns]
        self.queries = CompiledQueries([rule.query for rule in rules.queries])
        self._scan = ScanGroup([self.tagger.matcher, self.keywords, self.queries.matcher])

    @cached_property
    def version(self) -> str:
        """The rule set's version, asked for by the stored analysis only: it hashes the nlp
        package's source (``analyzer_revision``), 10-15 ms that analyze-text need not pay."""
        return self.rules.version

    @staticmethod
    def document(text: str, title: str = "") -> FoldedText:
        """Title and text as one folded document (what the rules are matched on)."""
        return fold_with_offsets(f"{title}{SEPARATOR}{text}" if title else text)

    def analyze(self, text: str, title: str = "", trust: str = "press") -> AnalysisResult:
        offset = len(title) + len(SEPARATOR) if title else 0
        folded = self.document(text, title)
        scanned = self._scan.scan(folded)

        def place(start: int, end: int) -> dict[str, Any]:
            if start >= offset:
                return {"start": start - offset, "end": end - offset, "field": "text"}
            return {"start": start, "end": min(end, len(title)), "field": "title"}

        localities = [
            {
                "unit": m.unit,
                "surface": m.surface,
                **place(m.start, m.end),
                "locality_keys": list(m.locality_keys),
            }
            for m in self.tagger.tag(folded, scanned[0])
        ]
        notes: list[str] = []
        matches = [
            {
                "rule": found.rule,
                "category": found.category,
                "surface": found.span.surface,
                **place(found.span.start, found.span.end),
                "weight": found.weight,
                **({"hit": found.hit} if found.hit is not None else {}),
            }
            for found in self._match(folded, notes, scanned)
        ]
        explanation = explain(matches, localities, trust, self.rules.scoring, notes)
        return AnalysisResult(
            localities, matches, explanation["score"], explanation["flagged"], explanation
        )

    def _match(
        self, folded: FoldedText, notes: list[str], scanned: list[list[Scanned[Any]]]
    ) -> list[_Found]:
        accented = folded.accented
        found = [
            _Found(
                hit.payload.name,
                hit.payload.category,
                hit.payload.weight,
                Span(hit.start, hit.end, hit.surface),
            )
            for hit in self.keywords.find(folded, accented, scanned[1])
        ]
        found = _drop_nested(found)
        found += self._pattern_matches(folded, notes)
        for number, hit in enumerate(self.queries.find(folded, accented, scanned[2])):
            rule = self.rules.queries[hit.index]
            for start, end in hit.spans:
                span = Span(start, end, folded.original[start:end])
                found.append(_Found(rule.name, rule.category, rule.weight, span, number))
        found.sort(key=lambda f: (f.span.start, f.span.end, f.rule))
        return found

    def _pattern_matches(self, folded: FoldedText, notes: list[str]) -> list[_Found]:
        budget = self.rules.scoring.regex_budget_seconds
        found = []
        for rule, pattern in self.patterns:
            try:
                for m in pattern.finditer(folded.folded, budget):
                    if m.end() == m.start():
                        continue
                    start, end = folded.span(m.start(), m.end())
                    span = Span(start, end, folded.original[start:end])
                    found.append(_Found(rule.name, rule.category, rule.weight, span))
            except TimeoutError:
                log.warning("pattern rule %s ran out of its time budget; skipped", rule.name)
                notes.append(f"Quy tắc {rule.name} chạy quá thời gian cho phép nên bị bỏ qua.")
        return found


def explain(
    matches: list[dict[str, Any]],
    localities: list[dict[str, Any]],
    trust: str,
    scoring: Scoring,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The score, contribution by contribution, as the module docstring defines it."""
    notes = list(notes or [])
    strongest: dict[str, dict[str, Any]] = {}
    for match in _evidence(matches):
        contribution = _contribution(match, localities, scoring)
        current = strongest.get(match["category"])
        if current is None or abs(contribution["value"]) > abs(current["value"]):
            strongest[match["category"]] = contribution
    has_primary = any(
        c["value"] > 0 and c["category"] not in scoring.supporting for c in strongest.values()
    )
    counted = []
    for category, contribution in sorted(strongest.items()):
        if category in scoring.supporting and not has_primary:
            notes.append(
                f"Dấu hiệu bổ trợ «{category}» không được tính vì không có dấu hiệu chính."
            )
            continue
        counted.append(contribution)
    total = round(sum(c["value"] for c in counted), 3)
    factor = scoring.trust_factor(trust)
    score = round(max(total * factor, 0.0), 3)
    reached = score >= scoring.threshold
    if reached and not localities:
        notes.append("Đạt ngưỡng nhưng không nhắc tới địa bàn theo dõi nên không gắn cờ.")
    return {
        "contributions": counted,
        "trust": trust,
        "trust_factor": factor,
        "total": total,
        "score": score,
        "threshold": scoring.threshold,
        "flagged": bool(localities) and reached,
        "notes_vi": notes,
    }


def _evidence(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each keyword or pattern match, and each query hit as one piece of evidence.

    A query hit is several spans that hold together ("giả danh" NEAR "công an" AND
    "chuyển tiền"); it is in the title only when all of them are, and its place is the span
    nearest to a mention of the locality, so one word of it in the title or near the place
    does not lend the whole hit a multiplier it did not earn.
    """
    single = [m for m in matches if "hit" not in m]
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for match in matches:
        if "hit" in match:
            grouped.setdefault((match["rule"], match["hit"]), []).append(match)
    for spans in grouped.values():
        in_text = [m for m in spans if m["field"] == "text"]
        single.append(
            {
                **spans[0],
                "field": "text" if in_text else "title",
                "surface": " … ".join(dict.fromkeys(m["surface"] for m in spans)),
                "spans": in_text,
            }
        )
    return single


def _contribution(
    match: dict[str, Any], localities: list[dict[str, Any]], scoring: Scoring
) -> dict[str, Any]:
    factors = []
    if match["field"] == "title":
        factors.append(_factor("title", scoring.title_multiplier))
    elif _distant(match, localities, scoring.passage_chars):
        factors.append(_factor("distant", scoring.distant_factor))
    value = match["weight"]
    for factor in factors:
        value *= factor["value"]
    return {
        "rule": match["rule"],
        "category": match["category"],
        "field": match["field"],
        "surface": match["surface"],
        "weight": match["weight"],
        "factors": factors,
        "value": round(value, 3),
    }


def _factor(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "label_vi": _FACTOR_LABELS[name], "value": value}


def _distant(match: dict[str, Any], localities: list[dict[str, Any]], passage: int) -> bool:
    """Text evidence far from every mention of the place (none in the title)."""
    if not localities or any(loc["field"] == "title" for loc in localities):
        return False
    return all(
        loc["start"] - span["end"] > passage or span["start"] - loc["end"] > passage
        for loc in localities
        for span in match.get("spans") or [match]
    )


def _drop_nested(found: list[_Found]) -> list[_Found]:
    """'sai sự thật' inside 'thông tin sai sự thật' is one finding, the longer one."""
    found.sort(key=lambda f: (f.span.start, -(f.span.end - f.span.start)))
    kept: list[_Found] = []
    for entry in found:
        span = entry.span
        if any(
            k.span.start <= span.start and span.end <= k.span.end and k.span != span
            for k in kept[-8:]
        ):
            continue
        kept.append(entry)
    return kept
