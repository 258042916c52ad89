"""The rule language's grammar and parser (lark): query text to syntax tree.

Kept apart from ``nlp.query`` because importing lark and building the parser is most of the
cost of reading a rule pack; ``nlp.query.parse_queries`` imports this module only for a
query its parse cache does not hold. The cache is keyed by this file's bytes.
"""

from __future__ import annotations

import re

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput
from lark.exceptions import VisitError

from nlp.normalize import fold
from nlp.query import MAX_NEAR, And, Near, Node, Not, Or, QueryError, Term

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


def syntax_tree(query: str) -> Node:
    """The query's tree, or QueryError naming the column of the problem."""
    try:
        tree = _PARSER.parse(query)
        return _Build().transform(tree)  # type: ignore[no-any-return]
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


_TOO_EARLY = "the query ends too early (an operator or '(' without its operand)"


def _explain_unexpected(token: Token) -> str:
    if token.type in {"WORD", "PHRASE", "PREFIX"}:
        return (
            f"{token!s} follows another term without an operator: quote a phrase "
            '("lừa đảo") or join terms with AND / OR / NEAR/n'
        )
    return f"unexpected {token!s}"
