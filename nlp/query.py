"""The rule language: Boolean queries with phrases, proximity and prefixes.

Media-monitoring analysts write queries, not word lists (Meltwater, Talkwalker and Brandwatch
all use this shape), because a scam is told in many words but always as a combination: a
pretended role NEAR a demand for money. This module is the specification of that language.

Syntax, from the loosest operator to the tightest:

    query := or
    or    := and ("OR" and)*
    and   := near ("AND" near)*
    near  := unary ("NEAR/n" unary)*         n = 0..100 words
    unary := "NOT" unary | atom
    atom  := "quoted phrase" | word | word* | "phrase with prefix*" | "(" query ")"

Operators are written in capitals (AND, OR, NOT, NEAR/5); two terms side by side without an
operator are an error, so that an unquoted ``lừa đảo`` is not read as ``lừa AND đảo``. A
query needs at least one term outside NOT.

Meaning, on one document (title and text together):
- a term matches the folded text (lowercase, no diacritics, đ->d, look-alike letters and
  invisible characters removed) at word boundaries; a term with diacritics also matches text
  typed without them or with some of them, but not text whose diacritics differ ("lừa đảo"
  finds "lua dao" and "lừa dao", not "lúa đào"). ``word*`` matches words starting with
  ``word``;
- ``A NEAR/n B`` holds where an occurrence of A and one of B are at most n words apart, in
  either order (n counts the words between them; words are what spaces separate in the
  folded text); its occurrence spans both;
- ``A AND B`` holds when both hold anywhere in the document; ``A OR B`` when either does;
  ``NOT A`` when A does not occur (it never contributes a span, and cannot be an operand
  of NEAR);
- a rule that holds reports every span that made it hold, for highlighting.

A rule set's queries are compiled once: all their terms go into one Aho-Corasick automaton,
so a document costs one pass for all terms, and a query is evaluated only when one of its
positive terms occurred.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import itertools
import operator
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Union

from nlp.disk_cache import default_cache_dir, read_json, write_json
from nlp.matcher import PhraseMatcher, Scanned, same_word, word_end
from nlp.normalize import FoldedText

MAX_NEAR = 100
MAX_OCCURRENCES = 64  # per node and document: enough to highlight, bounded on hostile text


class QueryError(ValueError):
    """A query that cannot be compiled; ``column`` is 1-based, as editors count."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.column = column
        super().__init__(f"column {column}: {message}" if column else message)


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # as written, without quotes or the trailing *
    prefix: bool = False

    @property
    def key(self) -> str:
        """The term's identity: its own spelling (so "giả" and "giá" stay two terms)."""
        return " ".join(unicodedata.normalize("NFC", self.text).lower().split())

    @property
    def spelled(self) -> str:
        """The term as a phrase matcher takes it: its text, with * for a prefix."""
        return self.text + ("*" if self.prefix else "")

    def __str__(self) -> str:
        return f'"{self.spelled}"'


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Near:
    left: Node
    right: Node
    distance: int


Node = Union[Term, Not, And, Or, Near]  # noqa: UP007 (a runtime alias used in dataclasses)


def parse_query(query: str) -> Node:
    """The query's syntax tree, or QueryError naming the column of the problem."""
    return parse_queries([query])[0]


def parse_queries(queries: Sequence[str]) -> list[Node]:
    """The syntax trees of many queries, taken from the parse cache where it holds them.

    Parsing with lark is most of an analysing command's start-up (importing lark, building
    the parser from the grammar, a rule pack of forty queries): about a tenth of a second
    each time a cron run starts. The cache (``nlp.disk_cache``) keeps the trees of queries
    that parsed, keyed by the parser's own source, so a change to the grammar or to how
    trees are built starts a new one; a query that does not parse is never cached and
    raises as always."""
    path = default_cache_dir() / f"queries-{_parser_key()}.json"
    cached = read_json(path, "query") or {}
    nodes: list[Node] = []
    fresh: dict[str, Any] = {}
    for query in queries:
        node = _from_json(cached.get(query)) if isinstance(cached, dict) else None
        if node is None or not _valid(node):  # a damaged or foreign entry: parsed again
            node = _parsed(query)
            fresh[query] = _to_json(node)
        nodes.append(node)
    if fresh:
        kept = cached if isinstance(cached, dict) and len(cached) < _MAX_CACHED else {}
        write_json(path, {**kept, **fresh}, "query")
    return nodes


_MAX_CACHED = 5000  # queries kept in the parse cache before it starts over


def _parsed(query: str) -> Node:
    from nlp.query_parser import syntax_tree

    if not query.strip():
        raise QueryError("empty query")
    node = syntax_tree(query)
    if not _has_positive_term(node):
        raise QueryError("the query needs at least one term outside NOT")
    return node


def _has_positive_term(node: Node) -> bool:
    """A query must find something: a term outside NOT (a bare NOT finds nothing)."""
    return not isinstance(node, Not) and bool(positive_terms(node))


def _valid(node: Node) -> bool:
    """What the parser guarantees of every tree it gives, checked again on one read from
    the cache: a file is data, and the user's cache directory is not the code."""
    return _has_positive_term(node) and _within_limits(node)


def _within_limits(node: Node) -> bool:
    if isinstance(node, Term):
        return bool(node.text.strip())
    if isinstance(node, Not):
        return _within_limits(node.operand)
    if isinstance(node, Near):
        return (
            0 <= node.distance <= MAX_NEAR
            and not isinstance(node.left, Not)
            and not isinstance(node.right, Not)
            and _within_limits(node.left)
            and _within_limits(node.right)
        )
    return all(_within_limits(child) for child in node.operands)


# The modules whose code decides what a query's tree is: the grammar and its builder, the
# node classes and limits here, and the folding its checks use.
_KEYED_MODULES = ("nlp.query_parser", "nlp.query", "nlp.normalize")


@lru_cache(maxsize=1)
def _parser_key() -> str:
    """Those modules' sources, hashed without importing the parser (that imports lark)."""
    digest = hashlib.sha256(_CACHE_FORMAT)
    for name in _KEYED_MODULES:
        spec = importlib.util.find_spec(name)
        digest.update(Path(spec.origin).read_bytes() if spec and spec.origin else b"")
    return digest.hexdigest()[:24]


_CACHE_FORMAT = b"1"  # how trees are written below


def _to_json(node: Node) -> list[Any]:
    if isinstance(node, Term):
        return ["t", node.text, node.prefix]
    if isinstance(node, Not):
        return ["not", _to_json(node.operand)]
    if isinstance(node, Near):
        return ["near", _to_json(node.left), _to_json(node.right), node.distance]
    return ["and" if isinstance(node, And) else "or", [_to_json(c) for c in node.operands]]


def _from_json(data: Any) -> Node | None:
    """The tree written by ``_to_json``; None for anything else (an old or damaged file)."""
    try:
        kind = data[0]
        if kind == "t" and isinstance(data[1], str) and isinstance(data[2], bool):
            return Term(data[1], data[2])
        if kind == "not":
            operand = _from_json(data[1])
            return None if operand is None else Not(operand)
        if kind == "near" and type(data[3]) is int:
            left, right = _from_json(data[1]), _from_json(data[2])
            return None if left is None or right is None else Near(left, right, data[3])
        if kind in ("and", "or"):
            operands = [_from_json(c) for c in data[1]]
            if not operands or any(o is None for o in operands):
                return None
            return (And if kind == "and" else Or)(tuple(operands))  # type: ignore[arg-type]
    except (TypeError, IndexError, KeyError):
        return None
    return None


def terms(node: Node) -> list[Term]:
    """Every term of the query, NOT-ed ones included."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.operand)
    if isinstance(node, Near):
        return terms(node.left) + terms(node.right)
    return [t for child in node.operands for t in terms(child)]


def positive_terms(node: Node) -> list[Term]:
    """Terms outside NOT: a query can hold only where one of these occurs."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return []
    if isinstance(node, Near):
        return positive_terms(node.left) + positive_terms(node.right)
    return [t for child in node.operands for t in positive_terms(child)]


# --- evaluation ---------------------------------------------------------------------------


class Occurrence(NamedTuple):
    """Where a (sub)query holds: first and last word index, and its folded spans.

    A named tuple: one is made per term hit and per proximity pair, and a frozen dataclass
    costs several times as much to build."""

    first: int
    last: int
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class QueryHit:
    """A query that holds in a document, with the original-text spans that made it hold."""

    index: int
    spans: tuple[tuple[int, int], ...]


class CompiledQueries:
    """Many queries compiled together: one automaton pass finds the terms of them all.

    Per document, most terms found belong to queries that cannot hold (a common word such as
    "điều tra" or "tài khoản" with nothing near it), and checking a hit's diacritics is the
    costly step. So the terms found at word boundaries first decide which queries could hold
    at all (each query's necessary terms, ``_requirements``), and only the hits of those
    queries' terms are checked and evaluated."""

    def __init__(self, queries: Sequence[str]) -> None:
        self.nodes = parse_queries(queries)
        keys: dict[tuple[str, bool], int] = {}
        for node in self.nodes:
            for term in terms(node):
                keys.setdefault((term.key, term.prefix), len(keys))
        self._matcher: PhraseMatcher[int] = PhraseMatcher(
            (text + ("*" if prefix else ""), tid) for (text, prefix), tid in keys.items()
        )
        self._triggers = [
            frozenset(keys[(t.key, t.prefix)] for t in positive_terms(node)) for node in self.nodes
        ]
        self._plans = [_plan(node, keys) for node in self.nodes]
        self._uses = [frozenset(keys[(t.key, t.prefix)] for t in terms(n)) for n in self.nodes]
        self._needs, self._masks = _bit_sets(self._plans, self._uses, self._matcher)

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def matcher(self) -> PhraseMatcher[int]:
        """The matcher of every term (for a ``ScanGroup``)."""
        return self._matcher

    def find(
        self,
        text: FoldedText,
        accented: bool | None = None,
        scanned: list[Scanned[int]] | None = None,
    ) -> list[QueryHit]:
        """Queries that hold; ``accented`` and ``scanned`` as for PhraseMatcher.find."""
        if scanned is None:
            scanned = self._matcher.scan(text, accented)
        live, kept = self._possible(scanned)
        if not live:
            return []
        wanted = frozenset().union(*[self._uses[index] for index in live])
        hits = self._checked(text, kept, wanted, text.accented if accented is None else accented)
        if not hits:
            return []
        return self._holding(text, hits, live)

    def _possible(self, scanned: list[Scanned[int]]) -> tuple[list[int], list[Scanned[int]]]:
        """The queries whose necessary terms all occur, and the hits of their terms."""
        if not scanned:
            return [], []
        masks = [self._masks[id(entries)] for _, entries in scanned]
        met = functools.reduce(operator.or_, [m for m, _ in masks])
        live = [index for index, needs in enumerate(self._needs) if met & needs == needs]
        if not live:  # most documents: no query can hold, no hit is kept
            return [], []
        live_bits = sum(1 << index for index in live)
        kept = [hit for hit, (_, users) in zip(scanned, masks, strict=True) if users & live_bits]
        return live, kept

    def _checked(
        self, text: FoldedText, kept: list[Scanned[int]], wanted: frozenset[int], accented: bool
    ) -> list[tuple[int, int, int]]:
        """(folded start, folded end, term id) of the wanted terms' hits that pass the word
        boundary and diacritics checks, in order."""
        folded = text.folded
        hits = []
        for start, end, whole_word, entry in self._matcher.candidates(text, kept, accented):
            surface = None  # read once for the key's spellings ("lạ", "là", "la")
            for phrase, prefix, tid in entry.values:
                if tid not in wanted or not (whole_word or prefix):
                    continue
                if surface is None:
                    surface = text.surface(start, end)
                if same_word(phrase, surface, accented):
                    stop = end if whole_word else word_end(folded, end)
                    hits.append((start, stop, tid))
        hits.sort()
        return hits

    def _holding(
        self, text: FoldedText, hits: list[tuple[int, int, int]], live: list[int]
    ) -> list[QueryHit]:
        """The live queries that hold on these hits, with their spans in the original."""
        occurrences = _term_occurrences(hits, text.folded)
        present = frozenset(occurrences)
        found = []
        for index in live:
            if not (self._triggers[index] & present):
                continue
            holds, occs = _evaluate(self._plans[index], occurrences)
            if holds and occs:
                spans = sorted({text.span(*s) for occ in occs for s in occ.spans})
                found.append(QueryHit(index, tuple(spans)))
        return found


def _bit_sets(
    plans: Sequence[Plan], uses: Sequence[frozenset[int]], matcher: PhraseMatcher[int]
) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """Bit sets (Python ints), so that a document's possible queries cost a few integer
    operations: each query's requirements as bits (``needs``), and for each tuple of entries
    a scan can give back (by its identity) the requirements its terms meet and the queries
    that use them (``masks``)."""
    bit = itertools.count()
    numbered = [[(next(bit), need) for need in _requirements(plan)] for plan in plans]
    needs = [sum(1 << k for k, _ in query) for query in numbered]
    meets: dict[int, int] = {}  # term id -> the requirements it meets
    for query in numbered:
        for k, need in query:
            for tid in need:
                meets[tid] = meets.get(tid, 0) | 1 << k
    used_by: dict[int, int] = {}  # term id -> the queries that use it
    for q, used in enumerate(uses):
        for tid in used:
            used_by[tid] = used_by.get(tid, 0) | 1 << q
    masks: dict[int, tuple[int, int]] = {}
    for entries in matcher.entry_tuples():
        ids = {payload for entry in entries for _, _, payload in entry.values}
        met = functools.reduce(operator.or_, (meets.get(t, 0) for t in ids), 0)
        users = functools.reduce(operator.or_, (used_by.get(t, 0) for t in ids), 0)
        masks[id(entries)] = (met, users)
    return needs, masks


def _requirements(plan: Plan) -> tuple[frozenset[int], ...]:
    """Sets of term ids of which one must be found (at word boundaries, before the
    diacritics check) for the plan to hold: a necessary condition, never a sufficient one."""
    kind = plan[0]
    if kind == "t":
        return (frozenset((plan[1],)),)
    if kind == "terms":
        return (frozenset(plan[1]),)
    if kind == "not":
        return ()
    if kind == "and":
        return tuple(need for child in plan[1] for need in _requirements(child))
    if kind == "near":
        return _requirements(plan[1]) + _requirements(plan[2])
    children = [_requirements(child) for child in plan[1]]  # "or": any child may hold
    if any(not child for child in children):
        return ()
    return (frozenset().union(*[need for child in children for need in child]),)


def _term_occurrences(
    hits: list[tuple[int, int, int]], folded: str
) -> dict[int, tuple[Occurrence, ...]]:
    """Occurrences per term id from (folded start, folded end, term id), with word positions
    counted as spaces before them; spans stay folded until a query holds.

    Folding collapses whitespace to single spaces, so a word's position is the number of
    spaces before it; counting them between consecutive hits (in C) is one pass in all.
    """
    out: dict[int, list[Occurrence]] = {}
    position, words = 0, 0
    for f_start, f_end, tid in hits:
        words += folded.count(" ", position, f_start)
        position = f_start
        last = words + folded.count(" ", f_start, f_end)
        found = out.setdefault(tid, [])
        if len(found) < MAX_OCCURRENCES:
            found.append(Occurrence(words, last, ((f_start, f_end),)))
    return {tid: tuple(occs) for tid, occs in out.items()}


# A query compiled for evaluation: nested tuples with the term ids resolved once, so the
# per-document work is dictionary look-ups and list merges, not attribute access on nodes.
# ("t", id) | ("terms", ids) | ("not", p) | ("or", ps) | ("and", ps) | ("near", l, r, n)
Plan = tuple


def _plan(node: Node, ids: dict[tuple[str, bool], int]) -> Plan:
    if isinstance(node, Term):
        return ("t", ids[(node.key, node.prefix)])
    if isinstance(node, Not):
        return ("not", _plan(node.operand, ids))
    if isinstance(node, Near):
        return ("near", _plan(node.left, ids), _plan(node.right, ids), node.distance)
    children = tuple(_plan(child, ids) for child in node.operands)
    if isinstance(node, Or) and all(child[0] == "t" for child in children):
        return ("terms", tuple(child[1] for child in children))  # the common (a OR b OR c)
    return ("or" if isinstance(node, Or) else "and", children)


def _evaluate(
    plan: Plan, occurrences: dict[int, tuple[Occurrence, ...]]
) -> tuple[bool, tuple[Occurrence, ...]]:
    """(holds, occurrences that made it hold)."""
    kind = plan[0]
    if kind == "t":
        found = occurrences.get(plan[1], ())
        return bool(found), found
    if kind == "terms":
        found = [occurrences[t] for t in plan[1] if t in occurrences]
        if len(found) <= 1:
            return (True, found[0]) if found else (False, ())
        return True, _merge(o for occs in found for o in occs)
    if kind == "not":
        return not _evaluate(plan[1], occurrences)[0], ()
    if kind == "or":
        held = [r for r in (_evaluate(c, occurrences) for c in plan[1]) if r[0]]
        if len(held) <= 1:
            return held[0] if held else (False, ())
        return True, _merge(o for r in held for o in r[1])
    if kind == "and":
        results = []
        for child in plan[1]:
            result = _evaluate(child, occurrences)
            if not result[0]:
                return False, ()
            results.append(result)
        return True, _merge(o for r in results for o in r[1])
    left = _evaluate(plan[1], occurrences)[1]
    if not left:
        return False, ()
    near = _near(left, _evaluate(plan[2], occurrences)[1], plan[3])
    return bool(near), near


def _near(
    left: Iterable[Occurrence], right: Sequence[Occurrence], distance: int
) -> tuple[Occurrence, ...]:
    out = []
    for a in left:
        for b in right:
            gap = b.first - a.last - 1 if a.last < b.first else a.first - b.last - 1
            if gap <= distance:
                out.append(
                    Occurrence(min(a.first, b.first), max(a.last, b.last), a.spans + b.spans)
                )
                if len(out) >= MAX_OCCURRENCES:
                    return tuple(out)
    return tuple(out)


def _merge(occurrences: Iterable[Occurrence]) -> tuple[Occurrence, ...]:
    out = sorted(set(occurrences), key=lambda o: (o.first, o.last))
    return tuple(out[:MAX_OCCURRENCES])
