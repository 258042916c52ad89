"""Text normalization and diacritic folding with a map back to original offsets.

Social posts are often typed without diacritics ("ngoc hoi", "lua dao"), so matching runs on
a folded form. Analysts and other tools need offsets into the text as given, so the folded
form keeps, for every character, the index of the original character it came from.
"""

from __future__ import annotations

import unicodedata
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


def fold_with_offsets(text: str) -> FoldedText:
    """Fold, and collapse each run of whitespace to one space so phrases match across line
    breaks and double spaces."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold_char(char)
        if not folded:
            continue
        if folded.isspace():
            if chars and chars[-1] == " ":
                continue
            folded = " "
        chars.append(folded)
        origin.append(index)
    return FoldedText(text, "".join(chars), tuple(origin))
