"""Regular expressions that cannot hold the analysis hostage.

A rule pattern runs on text chosen by whoever writes the post, so a pattern with
catastrophic backtracking lets one hostile (or just unlucky) item stall every analysis run.
Two guards, because neither suffices alone: ``config check`` refuses the classic shape of
exponential patterns (a quantified group that itself holds an unbounded quantifier, as in
``(a+)+``), and every pattern runs on the ``regex`` module with a time budget per item, so
a pattern that is slow in a way no check foresaw costs at most that budget and is reported.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # the stdlib's own parser: the syntax tree of a pattern
from collections.abc import Iterator
from dataclasses import dataclass

import regex

DEFAULT_BUDGET_SECONDS = 0.25
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_UNBOUNDED = 50  # a repeat allowing more than this many rounds counts as unbounded


class PatternError(ValueError):
    """A pattern refused at config check, with the reason in words."""


@dataclass(frozen=True, slots=True)
class GuardedPattern:
    pattern: str
    compiled: regex.Pattern[str]
    # Literal strings one of which every match contains (from its start), or () when the
    # pattern has none: a text holding none of them is skipped with a C substring search,
    # where the regex engine would have tried the pattern at every position.
    required: tuple[str, ...] = ()

    def finditer(self, text: str, budget: float) -> Iterator[regex.Match[str]]:
        """Matches within the time budget; TimeoutError when the budget runs out."""
        if self.required:
            for literal in self.required:  # a loop: a generator costs more than the searches
                if literal in text:
                    break
            else:
                return iter(())
        return self.compiled.finditer(text, timeout=budget)


def check_pattern(pattern: str) -> None:
    """Refuse a pattern that does not compile or nests unbounded quantifiers."""
    try:
        regex.compile(pattern)
        tree = sre_parse.parse(pattern)
    except (regex.error, re.error) as exc:
        raise PatternError(f"invalid regular expression: {exc}") from None
    if _nested_unbounded(tree, inside_repeat=False):
        raise PatternError(
            "nested quantifiers (a repeated group holding + or *, as in (a+)+) can take "
            "exponential time on hostile text: rewrite the pattern without the nesting"
        )


def compile_guarded(pattern: str) -> GuardedPattern:
    return GuardedPattern(pattern, regex.compile(pattern), required_literals(pattern))


def required_literals(pattern: str) -> tuple[str, ...]:
    """Literals one of which every match of ``pattern`` holds, read from the leading literal
    part of its syntax tree (through groups and alternations); () when unknown, or when the
    pattern ignores case or is not one the stdlib parser reads."""
    if _FUZZY.search(pattern):  # the regex module's approximate matching: no literal holds
        return ()
    try:
        tree = sre_parse.parse(pattern)
    except re.error:
        return ()
    if tree.state.flags & (re.IGNORECASE | re.VERBOSE):
        return ()
    found = _leading(list(tree))
    if not found or "" in found:
        return ()
    # a text holding "so tai khoan" holds "tai khoan": one search fewer, the same answer
    return tuple(sorted(text for text in found if not any(o != text and o in text for o in found)))


_ZERO_WIDTH = {"AT", "ASSERT", "ASSERT_NOT"}
_FUZZY = re.compile(r"\{\s*[a-zA-Z]")  # {e<=1}, {i<=1,d<=2}, {e}


def _leading(items: list[tuple[object, object]]) -> set[str] | None:
    """Strings one of which every match of ``items`` starts with (zero-width items skipped);
    None when no such set is known."""
    prefix = ""
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            prefix += chr(arg)  # type: ignore[arg-type]
            continue
        if name in _ZERO_WIDTH and not prefix:
            continue
        inner: set[str] | None = None
        if name == "SUBPATTERN":
            _group, add_flags, _del_flags, body = arg  # type: ignore[misc]
            if not add_flags & (re.IGNORECASE | re.VERBOSE):
                inner = _leading(list(body))
        elif name == "BRANCH":
            branches = [_leading(list(branch)) for branch in arg[1]]  # type: ignore[index]
            if all(branch is not None for branch in branches):
                inner = {text for branch in branches for text in branch}  # type: ignore[union-attr]
        if inner is not None:
            return {prefix + text for text in inner}
        break
    return {prefix} if prefix else None


def _nested_unbounded(items: object, inside_repeat: bool) -> bool:
    """True when an unbounded repeat sits inside another unbounded repeat."""
    for op, arg in items:  # type: ignore[attr-defined]
        name = str(op)
        if name in _REPEATS:
            _low, high, body = arg
            unbounded = high is sre_parse.MAXREPEAT or high > _UNBOUNDED
            if (unbounded and inside_repeat) or _nested_unbounded(body, inside_repeat or unbounded):
                return True
        elif any(_nested_unbounded(child, inside_repeat) for child in _children(name, arg)):
            return True
    return False


def _children(name: str, arg: object) -> list[object]:
    if name == "SUBPATTERN":
        return [arg[-1]]  # type: ignore[index]
    if name == "BRANCH":
        return list(arg[1])  # type: ignore[index]
    if name in {"ASSERT", "ASSERT_NOT"}:
        return [arg[1]]  # type: ignore[index]
    return []
