"""What a change of rules can affect, so that only those items are analyzed again.

Re-analyzing every stored item after each keyword edit would cost minutes on a large
database. A rule change can only change the result of an item that (a) matched a rule that
was removed or re-weighted, (b) contains a phrase or pattern that was added (for a new or
edited query: any of its terms), or (c) has a locality mention, when scoring changed. A new
analyzer revision (code or underthesea upgraded) or a changed locality affects everything.
A change of a source's trust is not a rule change: the analysis records the trust it was
made with, and storage hands such items back as changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.matcher import PhraseMatcher
from nlp.normalize import FoldedText
from nlp.query import parse_query, positive_terms
from nlp.regex_guard import DEFAULT_BUDGET_SECONDS, compile_guarded
from nlp.rules import RuleSet, analyzer_revision


@dataclass
class ChangeScope:
    everything: bool = False
    scoring: bool = False
    changed_rules: set[str] = field(default_factory=set)
    added_phrases: list[str] = field(default_factory=list)
    added_patterns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._phrases: PhraseMatcher[str] = PhraseMatcher((p, p) for p in self.added_phrases)
        self._patterns = [compile_guarded(p) for p in self.added_patterns]

    def affects(self, folded: FoldedText, matched_rules: set[str], has_locality: bool) -> bool:
        if self.everything:
            return True
        if self.scoring and has_locality:
            return True
        if matched_rules & self.changed_rules:
            return True
        if any(True for _ in self._phrases.find(folded)):
            return True
        for pattern in self._patterns:
            try:
                if next(pattern.finditer(folded.folded, DEFAULT_BUDGET_SECONDS), None):
                    return True
            except TimeoutError:
                return True  # cannot tell within the budget: analyze again to be safe
        return False


def change_scope(old: RuleSet | None, new: RuleSet, old_revision: str | None = None) -> ChangeScope:
    if old is None or old.localities != new.localities or old_revision != analyzer_revision():
        return ChangeScope(everything=True)
    old_keywords = {k.name: k for k in old.keywords}
    new_keywords = {k.name: k for k in new.keywords}
    old_patterns = {p.name: p for p in old.patterns}
    new_patterns = {p.name: p for p in new.patterns}
    changed = {n for n in old_keywords if new_keywords.get(n) != old_keywords[n]}
    changed |= {n for n in old_patterns if new_patterns.get(n) != old_patterns[n]}
    added_phrases = [k.phrase for n, k in new_keywords.items() if old_keywords.get(n) != k]
    added_patterns = [p.pattern for n, p in new_patterns.items() if old_patterns.get(n) != p]
    old_queries = {q.name: q for q in old.queries}
    new_queries = {q.name: q for q in new.queries}
    changed |= {n for n in old_queries if new_queries.get(n) != old_queries[n]}
    for name, query in new_queries.items():
        if old_queries.get(name) != query:
            added_phrases += [t.spelled for t in positive_terms(parse_query(query.query))]
    return ChangeScope(
        scoring=old.scoring != new.scoring,
        changed_rules=changed,
        added_phrases=added_phrases,
        added_patterns=added_patterns,
    )
