"""The rule set the analysis runs with, and its version.

nlp does not read config.yaml (monitor does and hands these over), so the analysis can be
used and tested on its own. The version is a hash of everything that can change a result:
when ops edit a keyword list, items analyzed under the old version are analyzed again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

ANALYZER_REVISION = "1"


@dataclass(frozen=True, slots=True)
class KeywordRule:
    category: str
    phrase: str
    weight: float

    @property
    def name(self) -> str:
        return f"{self.category}:{self.phrase}"


@dataclass(frozen=True, slots=True)
class PatternRule:
    """A regular expression matched against the folded text (lowercase, no diacritics)."""

    name: str
    category: str
    pattern: str
    weight: float


@dataclass(frozen=True, slots=True)
class LocalitySpec:
    province: str
    district: str
    aliases: tuple[str, ...] = ()
    context_words: tuple[str, ...] = ()
    conflict_words: tuple[str, ...] = ()
    window: int = 250


@dataclass(frozen=True, slots=True)
class Scoring:
    threshold: float = 3.0
    title_multiplier: float = 1.5
    trust_factors: tuple[tuple[str, float], ...] = (
        ("official", 0.5),
        ("press", 1.0),
        ("social", 1.3),
        ("unknown", 1.2),
    )

    def trust_factor(self, trust: str) -> float:
        return dict(self.trust_factors).get(trust, 1.0)


@dataclass(frozen=True, slots=True)
class RuleSet:
    locality: LocalitySpec
    keywords: tuple[KeywordRule, ...] = ()
    patterns: tuple[PatternRule, ...] = ()
    scoring: Scoring = field(default_factory=Scoring)

    @property
    def version(self) -> str:
        payload = json.dumps(
            {"revision": ANALYZER_REVISION, **asdict(self)}, sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def ruleset_to_dict(rules: RuleSet) -> dict[str, Any]:
    return asdict(rules)


def ruleset_from_dict(data: dict[str, Any]) -> RuleSet:
    loc = data["locality"]
    scoring = data["scoring"]
    return RuleSet(
        locality=LocalitySpec(
            province=loc["province"],
            district=loc["district"],
            aliases=tuple(loc["aliases"]),
            context_words=tuple(loc["context_words"]),
            conflict_words=tuple(loc["conflict_words"]),
            window=loc["window"],
        ),
        keywords=tuple(KeywordRule(**k) for k in data["keywords"]),
        patterns=tuple(PatternRule(**p) for p in data["patterns"]),
        scoring=Scoring(
            threshold=scoring["threshold"],
            title_multiplier=scoring["title_multiplier"],
            trust_factors=tuple((k, v) for k, v in scoring["trust_factors"]),
        ),
    )
