"""Text normalization and diacritic folding with a map back to original offsets.

Social posts are often typed without diacritics ("ngoc hoi", "lua dao"), so matching runs on
a folded form. Analysts and other tools need offsets into the text as given, so the folded
form keeps, for every character, the index of the original character it came from.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

_SPECIAL_FOLDS = {"đ": "d", "Đ": "d", "ð": "d", "ı": "i"}


def fold_char(char: str) -> str:
    """One character to its folded form: lowercase, no diacritics, đ -> d; '' for a mark."""
    special = _SPECIAL_FOLDS.get(char)
    if special is not None:
        return special
    if unicodedata.combining(char):
        return ""
    base = unicodedata.normalize("NFD", char)[0]
    lowered = base.lower()
    return lowered[0] if lowered else base


def fold(text: str) -> str:
    """The folded form alone, for keywords and comparisons."""
    return "".join(fold_char(c) for c in text)


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


@dataclass(frozen=True, slots=True)
class FoldedText:
    """Folded text plus ``origin[i]``: the index in ``original`` of folded character i."""

    original: str
    folded: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded [start, end) span to the original text, keeping trailing marks."""
        o_start = self.origin[start]
        o_end = self.origin[end - 1] + 1
        while o_end < len(self.original) and unicodedata.combining(self.original[o_end]):
            o_end += 1
        return o_start, o_end


_MARKUP = re.compile(r"<[a-zA-Z/!][^<>]{0,500}>|&#?[a-zA-Z0-9]{1,10};")


def fold_with_offsets(text: str) -> FoldedText:
    """Fold, with HTML remnants neutralized and whitespace collapsed, keeping offsets.

    A tag reads as a space and an entity as the character it stands for, so text pasted
    with markup still matches; each run of whitespace becomes one space so phrases match
    across line breaks and double spaces. Offsets still index ``text`` as given.
    """
    chars: list[str] = []
    origin: list[int] = []

    def put(folded: str, index: int) -> None:
        if folded.isspace():
            if chars and chars[-1] == " ":
                return
            folded = " "
        chars.append(folded)
        origin.append(index)

    cursor = 0
    for markup in _MARKUP.finditer(text):
        _fold_plain(text, cursor, markup.start(), put)
        token = markup.group()
        if token.startswith("<"):
            put(" ", markup.start())
        else:
            for char in html.unescape(token):
                folded = fold_char(char)
                if folded:
                    put(folded, markup.start())
        cursor = markup.end()
    _fold_plain(text, cursor, len(text), put)
    return FoldedText(text, "".join(chars), tuple(origin))


def _fold_plain(text: str, start: int, end: int, put: Callable[[str, int], None]) -> None:
    for index in range(start, end):
        folded = fold_char(text[index])
        if folded:
            put(folded, index)
