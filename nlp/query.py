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
import itertools
import operator
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Union

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput
from lark.exceptions import VisitError

from nlp.matcher import PhraseMatcher, Scanned, same_word, word_end
from nlp.normalize import FoldedText, fold

MAX_NEAR = 100
MAX_OCCURRENCES = 64  # per node and document: enough to highlight, bounded on hostile text

_GRAMMAR = r"""
?start: or_
?or_: and_ (_OR and_)*
?and_: near (_AND near)*
?near: unary (NEAR unary)*
?unary: _NOT unary -> not_
      | atom
?atom: PHRASE -> phrase
     | PREFIX -> prefix
     | WORD -> word
     | "(" or_ ")"
_OR.3: /OR(?![^\s()"])/
_AND.3: /AND(?![^\s()"])/
_NOT.3: /NOT(?![^\s()"])/
NEAR.3: /NEAR\/\d+(?![^\s()"])/
PHRASE.2: /"[^"]*"/
PREFIX.1: /[^\s()"*]+\*(?![^\s()"])/
WORD: /[^\s()"*]+/
%ignore /\s+/
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", maybe_placeholders=False)
_WORD_RE = re.compile(r"\w+")


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


class _Build(Transformer):  # type: ignore[type-arg]
    def phrase(self, items: list[Token]) -> Term:
        inner = items[0][1:-1].strip()
        prefix = inner.endswith("*")
        text = inner.rstrip("*").strip()
        if not fold(text).strip():
            raise QueryError("empty phrase", items[0].column)
        return Term(text, prefix)

    def prefix(self, items: list[Token]) -> Term:
        text = items[0][:-1]
        if len(fold(text).strip()) < 2:
            raise QueryError(
                f"prefix {items[0]!s} is too short (2 letters at least)", items[0].column
            )
        return Term(text, True)

    def word(self, items: list[Token]) -> Term:
        text = str(items[0])
        if not fold(text).strip() or not _WORD_RE.search(fold(text)):
            raise QueryError(f"{text!r} has no letters or digits", items[0].column)
        return Term(text)

    def not_(self, items: list[Node]) -> Not:
        return Not(items[0])

    def and_(self, items: list[Node]) -> And:
        return And(tuple(items))

    def or_(self, items: list[Node]) -> Or:
        return Or(tuple(items))

    def near(self, items: list[Node | Token]) -> Node:
        node = items[0]
        for index in range(1, len(items), 2):
            token = items[index]
            distance = int(str(token).split("/", 1)[1])
            if distance > MAX_NEAR:
                raise QueryError(f"NEAR/{distance}: at most NEAR/{MAX_NEAR}", token.column)
            right = items[index + 1]
            for side in (node, right):
                if isinstance(side, Not):
                    raise QueryError("NOT cannot be an operand of NEAR", token.column)
            node = Near(node, right, distance)  # type: ignore[arg-type]
        return node  # type: ignore[return-value]


def parse_query(query: str) -> Node:
    """The query's syntax tree, or QueryError naming the column of the problem."""
    if not query.strip():
        raise QueryError("empty query")
    try:
        tree = _PARSER.parse(query)
        node = _Build().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, QueryError):
            raise exc.orig_exc from None
        raise
    except UnexpectedCharacters as exc:
        raise QueryError(f"unexpected character {query[exc.pos_in_stream]!r}", exc.column) from None
    except UnexpectedEOF:
        raise QueryError(_TOO_EARLY, len(query) + 1) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is None or token.type == "$END":
            raise QueryError(_TOO_EARLY, len(query.rstrip()) + 1) from None
        raise QueryError(_explain_unexpected(token), exc.column) from None
    if isinstance(node, Term | Near | Or | And) and not positive_terms(node):
        raise QueryError("the query needs at least one term outside NOT")
    if isinstance(node, Not):
        raise QueryError("the query needs at least one term outside NOT")
    return node


_TOO_EARLY = "the query ends too early (an operator or '(' without its operand)"


def _explain_unexpected(token: Token) -> str:
    if token.type in {"WORD", "PHRASE", "PREFIX"}:
        return (
            f"{token!s} follows another term without an operator: quote a phrase "
            '("lừa đảo") or join terms with AND / OR / NEAR/n'
        )
    return f"unexpected {token!s}"


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


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where a (sub)query holds: first and last word index, and its folded spans."""

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
        self.nodes = [parse_query(q) for q in queries]
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
        # Bit sets (Python ints), so a document's possible queries cost a few integer
        # operations: bit k of a query's ``_needs`` is one of its requirements; an automaton
        # word's mask holds the requirements its terms meet and the queries that use them.
        requirements = [_requirements(plan) for plan in self._plans]
        bit = itertools.count()
        numbered = [[(next(bit), need) for need in query] for query in requirements]
        self._needs = [sum(1 << k for k, _ in query) for query in numbered]
        self._masks: dict[int, tuple[int, int]] = {}
        for entries in self._matcher.entry_groups():
            ids = {payload for entry in entries for _, _, payload in entry.values}
            met = sum(1 << k for query in numbered for k, need in query if ids & need)
            users = sum(1 << q for q, used in enumerate(self._uses) if ids & used)
            self._masks[id(entries)] = (met, users)

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
            scanned = self._matcher.scan(text)
        if not scanned:
            return []
        masks = [self._masks[id(entries)] for _, entries in scanned]
        met = functools.reduce(operator.or_, [m for m, _ in masks])
        live = [index for index, needs in enumerate(self._needs) if met & needs == needs]
        if not live:
            return []
        live_bits = sum(1 << index for index in live)
        kept = [hit for hit, (_, users) in zip(scanned, masks, strict=True) if users & live_bits]
        wanted = frozenset().union(*[self._uses[index] for index in live])
        if accented is None:
            accented = text.accented
        folded = text.folded
        hits = []
        for start, end, whole_word, entry in self._matcher.candidates(text, kept):
            for phrase, prefix, tid in entry.values:
                if tid not in wanted or not (whole_word or prefix):
                    continue
                if same_word(phrase, text.surface(start, end), accented):
                    stop = end if whole_word else word_end(folded, end)
                    hits.append((start, stop, tid))
        if not hits:
            return []
        hits.sort()
        occurrences = _term_occurrences(hits, folded)
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
