"""Multi-pattern phrase matching on folded text, at word boundaries.

All phrases are matched in one pass with an Aho-Corasick automaton (pyahocorasick), so the
cost grows with the text, not with the number of keywords. A phrase typed with diacritics
matches text that has the same diacritics, or text typed without them ("lua dao"): a letter
the writer typed with a diacritic must be the phrase's own letter. Whether a bare letter may
stand for an accented one depends on the document: in text typed with diacritics a bare
"gia" is "gia", never "giả", and "an" in "công an" is not "ăn"; only in text typed (mostly)
without diacritics does a bare letter stand for any. So no phrase matches a different word
that folds the same way ("lúa đào" for "lừa đảo", "quà" for "qua"). A phrase ending in
``*`` matches words that start with it ("chuyen*" finds "chuyển" and "chuyenkhoan").
"""

from __future__ import annotations

import html
import re
import string
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Generic, NamedTuple, TypeVar

import ahocorasick

from nlp.normalize import FoldedText, fold, fold_char, has_diacritics, unmask

T = TypeVar("T")
_TAG = re.compile(r"<[^<>]*>")
_WORD_TAIL = re.compile(r"\w*")


class Hit(NamedTuple, Generic[T]):
    """A phrase found: offsets index the original text; folded_* index the folded form.

    A named tuple: made for every phrase found, and a frozen dataclass costs several times
    as much to build."""

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

    def find(self, text: FoldedText, accented: bool | None = None) -> Iterator[Hit[T]]:
        """Hits in the text; ``accented`` (computed when not given) says whether the
        document is typed with diacritics, which decides what a bare letter may stand for."""
        if self._empty:
            return
        if accented is None:
            accented = typed_with_diacritics(text.original)
        folded = text.folded
        for end_index, (length, values) in self._automaton.iter(folded):
            start, end = end_index - length + 1, end_index + 1
            if start > 0 and folded[start - 1].isalnum():
                continue
            whole_word = end >= len(folded) or not folded[end].isalnum()
            for phrase, prefix, payload in values:
                if not (whole_word or prefix):
                    continue
                # a prefix hit spans its whole word, so the highlight shows what was written
                stop = end if whole_word else _WORD_TAIL.match(folded, end).end()
                o_start, o_end = text.span(start, stop)
                surface = text.original[o_start:o_end]
                checked = surface if stop == end else text.original[slice(*text.span(start, end))]
                if _same_word(phrase, checked, accented):
                    yield Hit(payload, phrase, surface, o_start, o_end, start, stop)


ACCENTED_SHARE = 0.04  # accented letters per letter; Vietnamese typed with marks has ~0.2
# Letters counted as accented: U+00C0-U+024F (Latin-1 Supplement letters to Latin Extended-B)
# and U+1E00-U+1EFF (Latin Extended Additional, most Vietnamese letters). Counted on the
# UTF-8 bytes by their lead bytes, with bytes.count (C), not by a regex match per letter,
# which was a seventh of analyze-text's time: U+00C0-U+023F lead with C3-C8, U+0240-U+024F
# with C9 80-8F, U+1E00-U+1EFF with E1 B8-BB.
_ACCENTED_LEADS = tuple(bytes([b]) for b in range(0xC3, 0xC9)) + tuple(
    bytes([0xE1, b]) for b in range(0xB8, 0xBC)
)
_ACCENTED_C9 = tuple(bytes([0xC9, b]) for b in range(0x80, 0x90))
_ASCII_LETTERS = string.ascii_letters.encode()


def typed_with_diacritics(text: str) -> bool:
    """Whether the writer used diacritics: a few accented letters in a long text do not
    count (a name, a quoted word), so this is a share of letters, not a yes/no per word."""
    if text.isascii():
        return False
    data = text.encode("utf-8", "surrogatepass")
    accented = sum(map(data.count, _ACCENTED_LEADS))
    if b"\xc9" in data:
        accented += sum(map(data.count, _ACCENTED_C9))
    if not accented:
        return False
    ascii_letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
    return accented / (accented + ascii_letters) >= ACCENTED_SHARE


@lru_cache(maxsize=65536)
def _same_word(phrase: str, surface: str, accented: bool) -> bool:
    """True when the surface is the phrase as its writer would type it.

    A phrase typed bare ("ck", "OTP") matches whatever folds like it. Otherwise letters are
    aligned through their folded forms (one folded letter each, so markup, invisible
    characters and look-alike letters do not shift the alignment): a letter typed with a
    diacritic must be the phrase's own letter, and in a document typed with diacritics a
    bare letter must be bare in the phrase too. One exception: a phrase of several words
    typed wholly bare ("lua dao" in an accented post) is the writer dropping the marks for
    a moment; bare words side by side that spell a phrase by accident are rare, single
    bare syllables ("gia", "an", "qua") are not.
    """
    if surface == phrase or not has_diacritics(phrase):
        return True
    if not has_diacritics(surface) and (not accented or len(phrase.split()) > 1):
        return True
    wanted = [c for c in _canonical(phrase) if fold_char(c)]
    typed = [c for c in _canonical(surface) if fold_char(c)]
    if len(wanted) != len(typed):
        return _canonical(surface) == _canonical(phrase)
    for want, got in zip(wanted, typed, strict=True):
        if got == want:
            continue
        if _decorated(got) or accented:
            return False
    return True


def _decorated(char: str) -> bool:
    """A Latin letter carrying a diacritic (or đ): the writer chose that letter on purpose."""
    return fold_char(char) != char and char.isascii() is False and "LATIN" in _name(char)


def _name(char: str) -> str:
    return unicodedata.name(char, "")


def _canonical(text: str) -> str:
    """Lowercase NFC with markup remnants read as the text they stand for.

    Look-alike letters, zero-width characters and the spaces of spaced-out letters
    ("l ừ a   đ ả o") do not count: the folded forms already matched word for word.
    """
    text = unmask(html.unescape(_TAG.sub(" ", text)))
    return "".join(unicodedata.normalize("NFC", text).lower().split())
