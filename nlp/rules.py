"""The rule set the analysis runs with, and its version.

nlp does not read config.yaml (monitor does and hands these over), so the analysis can be
used and tested on its own. The version is a hash of everything that can change a result:
when ops edit a keyword list, items analyzed under the old version are analyzed again. The
analyzer's own revision is part of it and is derived, not typed: a hash of the nlp package's
source and of the underthesea version, so upgrading either re-analyzes what was analyzed
with the old code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any


@cache
def analyzer_revision() -> str:
    """The nlp package's source and underthesea's version, hashed: what else decides a result.

    importlib.metadata is imported here, not with the module: it costs 10-15 ms of the
    start-up of every command that imports the rules, and only the stored analysis asks."""
    from importlib import metadata

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    try:
        digest.update(metadata.version("underthesea").encode())
    except metadata.PackageNotFoundError:
        digest.update(b"no-underthesea")
    return digest.hexdigest()[:12]


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
class QueryRule:
    """A named query in the rule language (nlp/query.py) with its category and weight."""

    name: str
    category: str
    query: str
    weight: float


DEFAULT_LOCALITY_KEY = "default"


@dataclass(frozen=True, slots=True)
class LocalitySpec:
    """One watched locality: a former district (``district``, names before 2025-07-01) or
    current communes of a province (``communes``, names since then)."""

    province: str
    district: str | None = None
    aliases: tuple[str, ...] = ()
    context_words: tuple[str, ...] = ()
    conflict_words: tuple[str, ...] = ()
    window: int = 250
    key: str = DEFAULT_LOCALITY_KEY
    communes: tuple[str, ...] = ()


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
    # evidence near the place counts fully; a match farther than passage_chars from every
    # mention of the locality (in the same field) counts distant_factor of its weight
    passage_chars: int = 400
    distant_factor: float = 0.6
    # categories that only add to a claim (a concrete case, urgency), never make one alone
    supporting: tuple[str, ...] = ("case", "urgency")
    regex_budget_seconds: float = 0.25

    def trust_factor(self, trust: str) -> float:
        return dict(self.trust_factors).get(trust, 1.0)


@dataclass(frozen=True, slots=True)
class RuleSet:
    localities: tuple[LocalitySpec, ...]
    keywords: tuple[KeywordRule, ...] = ()
    patterns: tuple[PatternRule, ...] = ()
    queries: tuple[QueryRule, ...] = ()
    scoring: Scoring = field(default_factory=Scoring)

    @property
    def version(self) -> str:
        payload = json.dumps(ruleset_to_dict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def ruleset_to_dict(rules: RuleSet) -> dict[str, Any]:
    return {"revision": analyzer_revision(), **asdict(rules)}


def ruleset_from_dict(data: dict[str, Any]) -> RuleSet:
    """A recorded rule set; records from older versions lack the newer fields."""
    scoring = data["scoring"]
    defaults = Scoring()
    return RuleSet(
        localities=tuple(
            LocalitySpec(
                province=loc["province"],
                district=loc["district"],
                aliases=tuple(loc["aliases"]),
                context_words=tuple(loc["context_words"]),
                conflict_words=tuple(loc["conflict_words"]),
                window=loc["window"],
                key=loc.get("key", DEFAULT_LOCALITY_KEY),
                communes=tuple(loc.get("communes", ())),
            )
            # records made before there were several localities hold one "locality"
            for loc in data.get("localities") or [data["locality"]]
        ),
        keywords=tuple(KeywordRule(**k) for k in data["keywords"]),
        patterns=tuple(PatternRule(**p) for p in data["patterns"]),
        queries=tuple(QueryRule(**q) for q in data.get("queries", [])),
        scoring=Scoring(
            threshold=scoring["threshold"],
            title_multiplier=scoring["title_multiplier"],
            trust_factors=tuple((k, v) for k, v in scoring["trust_factors"]),
            passage_chars=scoring.get("passage_chars", defaults.passage_chars),
            distant_factor=scoring.get("distant_factor", defaults.distant_factor),
            supporting=tuple(scoring.get("supporting", defaults.supporting)),
            regex_budget_seconds=scoring.get("regex_budget_seconds", defaults.regex_budget_seconds),
        ),
    )


def revision_of(data: dict[str, Any]) -> str | None:
    """The analyzer revision a recorded rule set was made with (None for old records)."""
    return data.get("revision")
