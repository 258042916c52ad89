"""Multi-pattern phrase matching on folded text, at word boundaries.

All phrases are matched in one pass with an Aho-Corasick automaton (pyahocorasick), so the
cost grows with the text, not with the number of keywords. A phrase typed with diacritics
matches text that has the same diacritics, or text typed without them, wholly or in part
("lua dao", "lừa dao"): a letter the writer typed with a diacritic must be the phrase's own
letter, a letter typed bare may stand for any. So it does not match a different accented
word that folds the same way ("lúa đào"). A phrase ending in ``*`` matches words that start
with it ("chuyen*" finds "chuyển" in "chuyển khoản" and "chuyenkhoan").
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import ahocorasick

from nlp.normalize import FoldedText, fold, fold_char, has_diacritics

T = TypeVar("T")
_TAG = re.compile(r"<[^<>]*>")


@dataclass(frozen=True, slots=True)
class Hit(Generic[T]):
    """A phrase found: offsets index the original text; folded_* index the folded form."""

    payload: T
    phrase: str
    surface: str
    start: int
    end: int
    folded_start: int = -1
    folded_end: int = -1


class PhraseMatcher(Generic[T]):
    """Finds phrases (each with a payload) in text; offsets index the original text."""

    def __init__(self, phrases: Iterable[tuple[str, T]]) -> None:
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, bool, T]]] = {}
        for phrase, payload in phrases:
            prefix = phrase.endswith("*")
            spelled = phrase.rstrip("*").strip() if prefix else phrase
            key = " ".join(fold(spelled).split())
            if key:
                entries.setdefault(key, []).append((spelled, prefix, payload))
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
            if start > 0 and folded[start - 1].isalnum():
                continue
            whole_word = end >= len(folded) or not folded[end].isalnum()
            surface_span: tuple[int, int] | None = None
            for phrase, prefix, payload in values:
                if not (whole_word or prefix):
                    continue
                if surface_span is None:
                    surface_span = text.span(start, end)
                o_start, o_end = surface_span
                surface = text.original[o_start:o_end]
                if _same_word(phrase, surface):
                    yield Hit(payload, phrase, surface, o_start, o_end, start, end)


def _same_word(phrase: str, surface: str) -> bool:
    """True unless a letter the writer typed with a diacritic differs from the phrase's.

    Letters are aligned through their folded forms (one folded letter each), so markup,
    invisible characters and look-alike letters in the surface do not shift the alignment.
    """
    if not has_diacritics(phrase) or not has_diacritics(surface):
        return True
    wanted = [c for c in _canonical(phrase) if fold_char(c)]
    typed = [c for c in _canonical(surface) if fold_char(c)]
    if len(wanted) != len(typed):
        return _canonical(surface) == _canonical(phrase)
    for want, got in zip(wanted, typed, strict=True):
        if got != want and _decorated(got):
            return False
    return True


def _decorated(char: str) -> bool:
    """A Latin letter carrying a diacritic (or đ): the writer chose that letter on purpose."""
    return fold_char(char) != char and char.isascii() is False and "LATIN" in _name(char)


def _name(char: str) -> str:
    return unicodedata.name(char, "")


def _canonical(text: str) -> str:
    """Lowercase NFC with markup remnants read as the text they stand for."""
    text = html.unescape(_TAG.sub(" ", text))
    return " ".join(unicodedata.normalize("NFC", text).lower().split())
