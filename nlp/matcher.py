"""Multi-pattern phrase matching on folded text, at word boundaries.

All phrases are matched in one pass with an Aho-Corasick automaton (pyahocorasick), so the
cost grows with the text, not with the number of keywords. A phrase typed with diacritics
matches text that has the same diacritics, or text typed without any ("lua dao"); it does
not match a different accented word that folds the same way ("lúa đào").
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

import ahocorasick

from nlp.normalize import FoldedText, fold, has_diacritics, unmask

T = TypeVar("T")
_TAG = re.compile(r"<[^<>]*>")


@dataclass(frozen=True, slots=True)
class Hit(Generic[T]):
    payload: T
    phrase: str
    surface: str
    start: int
    end: int


class PhraseMatcher(Generic[T]):
    """Finds phrases (each with a payload) in text; offsets index the original text."""

    def __init__(self, phrases: Iterable[tuple[str, T]]) -> None:
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, T]]] = {}
        for phrase, payload in phrases:
            key = " ".join(fold(phrase).split())
            if key:
                entries.setdefault(key, []).append((phrase, payload))
        for key, values in entries.items():
            self._automaton.add_word(key, (len(key), values))
        self._empty = not entries
        if not self._empty:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return len(self._automaton)

    def find(self, text: FoldedText) -> Iterator[Hit[T]]:
        if self._empty:
            return
        folded = text.folded
        for end_index, (length, values) in self._automaton.iter(folded):
            start, end = end_index - length + 1, end_index + 1
            if not _at_word_boundary(folded, start, end):
                continue
            o_start, o_end = text.span(start, end)
            surface = text.original[o_start:o_end]
            for phrase, payload in values:
                if _same_word(phrase, surface):
                    yield Hit(payload, phrase, surface, o_start, o_end)


def _at_word_boundary(folded: str, start: int, end: int) -> bool:
    before = folded[start - 1] if start > 0 else " "
    after = folded[end] if end < len(folded) else " "
    return not before.isalnum() and not after.isalnum()


def _same_word(phrase: str, surface: str) -> bool:
    """True when the surface is the phrase itself, or the phrase typed without diacritics."""
    if surface.isascii() or not has_diacritics(surface):
        return True
    if not _phrase_has_diacritics(phrase):
        return True
    return _canonical(surface) == _canonical_phrase(phrase)


@lru_cache(maxsize=65536)
def _phrase_has_diacritics(phrase: str) -> bool:
    return has_diacritics(phrase)


@lru_cache(maxsize=65536)
def _canonical_phrase(phrase: str) -> str:
    return _canonical(phrase)


def _canonical(text: str) -> str:
    """Lowercase NFC with markup remnants read as the text they stand for.

    Look-alike letters, zero-width characters and the spaces of spaced-out letters
    ("l ừ a   đ ả o") do not count: the folded forms already matched word for word.
    """
    text = unmask(html.unescape(_TAG.sub(" ", text)))
    return "".join(unicodedata.normalize("NFC", text).lower().split())
