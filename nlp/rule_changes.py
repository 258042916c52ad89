"""What a change of rules can affect, so that only those items are analyzed again.

Re-analyzing every stored item after each keyword edit would cost minutes on a large
database. A rule change can only change the result of an item that (a) matched a rule that
was removed or re-weighted, (b) contains a phrase or pattern that was added, or (c) has a
locality mention, when scoring changed. Everything else keeps its result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.matcher import PhraseMatcher
from nlp.normalize import FoldedText
from nlp.rules import RuleSet


@dataclass
class ChangeScope:
    everything: bool = False
    scoring: bool = False
    changed_rules: set[str] = field(default_factory=set)
    added_phrases: list[str] = field(default_factory=list)
    added_patterns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._phrases: PhraseMatcher[str] = PhraseMatcher((p, p) for p in self.added_phrases)
        self._patterns = [re.compile(p) for p in self.added_patterns]

    def affects(self, folded: FoldedText, matched_rules: set[str], has_locality: bool) -> bool:
        if self.everything:
            return True
        if self.scoring and has_locality:
            return True
        if matched_rules & self.changed_rules:
            return True
        if any(True for _ in self._phrases.find(folded)):
            return True
        return any(p.search(folded.folded) for p in self._patterns)


def change_scope(old: RuleSet | None, new: RuleSet) -> ChangeScope:
    if old is None or old.locality != new.locality:
        return ChangeScope(everything=True)
    old_keywords = {k.name: k for k in old.keywords}
    new_keywords = {k.name: k for k in new.keywords}
    old_patterns = {p.name: p for p in old.patterns}
    new_patterns = {p.name: p for p in new.patterns}
    changed = {n for n in old_keywords if new_keywords.get(n) != old_keywords[n]}
    changed |= {n for n in old_patterns if new_patterns.get(n) != old_patterns[n]}
    added_phrases = [k.phrase for n, k in new_keywords.items() if old_keywords.get(n) != k]
    added_patterns = [p.pattern for n, p in new_patterns.items() if old_patterns.get(n) != p]
    return ChangeScope(
        scoring=old.scoring != new.scoring,
        changed_rules=changed,
        added_phrases=added_phrases,
        added_patterns=added_patterns,
    )
