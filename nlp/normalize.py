"""Text normalization and diacritic folding with a map back to original offsets.

Social posts are often typed without diacritics ("ngoc hoi", "lua dao"), so matching runs on
a folded form. Analysts and other tools need offsets into the text as given, so the folded
form keeps, for every character, the index of the original character it came from.

Folding runs at C speed: NFC Vietnamese folds one character to one character, so the text
goes through ``str.translate`` with a table that is filled once per character ever seen, and
the offset map is only built where lengths change (markup, entities, whitespace runs,
removed marks). Text written to slip past the rules is folded too: zero-width characters
and soft hyphens are removed, look-alike letters from other scripts (``nlp.look_alikes``)
become the Latin letters they imitate inside Latin words, full-width forms become ASCII,
and letters spaced out one by one ("l ừ a   đ ả o") are joined. One character's own
folding is ``nlp.letters.base_fold``.

Plain text (most press text) takes one pass that also gives the views the matchers scan:
the word view, and for text typed with diacritics the marked view, where each Vietnamese
letter with diacritics keeps a byte of its own (``_fold_plain_text``). That pass is a
charmap encoding of the 256 characters such text is made of (``_CodeMap``), five times
faster than ``str.translate``; the few other characters are looked up one by one.
"""

from __future__ import annotations

import codecs
import html
import re
import string
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate, compress
from typing import overload

from nlp.letters import FULL_WIDTH, SOFT_HYPHEN, ZERO_WIDTH, base_fold, latin_base
from nlp.look_alikes import confusables, unmask, unmask_confusables, unmask_word

_REMOVED = "\x00"  # what the tables give for a character that folds to nothing
_MARKUP = re.compile(r"<[a-zA-Z/!][^<>]{0,500}>|&#?[a-zA-Z0-9]{1,10};")
# Whitespace runs, found once newlines read as spaces (all whitespace is one of the two).
_SPACE_RUN = re.compile(" {2,}")
# A letter left after folding that is not ASCII: another script, so look-alikes need care.
_FOREIGN = re.compile(r"[^\W\d_a-zA-Z]")
_REMOVED_RUN = re.compile(_REMOVED + "+")
# At least three single letters, each separated by exactly one space: "l ừ a", folded.
_SPACED_LETTERS = re.compile(r"(?<![^\W_])[^\W\d_](?: [^\W\d_]){2,}(?![^\W_])")
# Found in every such run (its 2nd and 3rd letters), and fast to search: it opens on a space.
_SPACED_HINT = re.compile(r" [^\W\d_] [^\W\d_]\b")

# Ranges filled eagerly: Latin-1, Latin Extended-A/B, combining marks, Latin Extended
# Additional (Vietnamese), general punctuation (zero-width), half- and full-width forms.
_EAGER_RANGES = ((0, 0x250), (0x300, 0x370), (0x1E00, 0x1F00), (0x2000, 0x2070))


# The marked bytes (``_FoldTable.translate_marked``) write each Vietnamese letter with
# diacritics as one byte of its own, so that the folded text, its word view and its marked
# view are all made from one translation of the text with bytes operations. The bytes are
# Latin-1 characters that no character folds to in a table with ``spaces`` (a test checks
# every code point; NEL and NBSP fold to a line end there). Two tones of a rare letter share
# one (ẳ ẵ): a scan of the marked view then finds a superset of what the diacritics check
# accepts, never less.
_SHAPES = "aăâeêioôơuưy"  # the vowels as the tone marks sit on them
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng
_SHARED = {"ẵ": "ẳ", "ẫ": "ẩ", "ẽ": "ẻ", "ễ": "ể", "ỗ": "ổ", "ỡ": "ở", "ỹ": "ỷ"}
_FOLDED_TO = b"\xd7\xdf\xe6\xf0\xf7\xfe"  # Latin-1 letters and signs that some character folds to
_CODE_POINTS = [0x85, 0xA0, *(c for c in range(0xC0, 0x100) if c not in _FOLDED_TO)]
# A look-alike or full-width character becomes, in the marked table, the ASCII character it
# folds to moved into the private use area (translate_marked puts it back, and the text then
# has no marked view: it reads as other letters there); a character of that part of the
# private use area itself becomes _NOT_MARKED, and its text is folded piece by piece.
_STAND_IN = 0xE000
_NOT_MARKED = "\xad"


def _mark_codes() -> dict[str, str]:
    """Each lowercase Vietnamese letter with diacritics (and đ) -> its byte, as a Latin-1
    character; 67 letters share 60 bytes."""
    letters = ["đ"]
    for shape in _SHAPES:
        letters += ([] if shape in "aeiouy" else [shape]) + [
            unicodedata.normalize("NFC", shape + tone) for tone in _TONES
        ]
    own = [letter for letter in letters if letter not in _SHARED]
    codes = dict(zip(own, map(chr, _CODE_POINTS), strict=True))
    return codes | {letter: codes[partner] for letter, partner in _SHARED.items()}


_MARK_CODES = _mark_codes()
_LETTER_OF_CODE = {ord(code): letter for letter, code in _MARK_CODES.items()}
_UNMARK = bytes(
    ord(base_fold(_LETTER_OF_CODE[b])) if b in _LETTER_OF_CODE else b for b in range(256)
)


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table that computes and keeps a character's folding when first seen.

    Characters that fold to nothing map to a NUL marker, so that the translated text keeps
    the length of the original and the removals can be found without a Python loop.
    ``evasion`` adds the zero-width, soft hyphen, full-width and Latin-variant folds,
    ``look_alikes`` the confusables (right for any text without a letter of another script
    left after folding), ``spaces`` turns any whitespace but ' ' into '\n': a space that
    spaced-out letters do not cross, made ' ' at the end. A table with all three also keeps
    the marked table (``translate_marked``).

    Tables are shared by the threads of a worker: a character is written to the plain
    tables before the table itself. A ``translate`` during which the tables grew, or that
    met a character its table did not translate, is made again, so a character added
    meanwhile by another thread is never left as it is; ``translate_marked`` encodes with
    a map that never changes and reads each character outside it from the marked table
    (adding it when missing), so it never sees a table half filled.
    """

    def __init__(self, evasion: bool, look_alikes: bool, spaces: bool) -> None:
        super().__init__()
        self.evasion = evasion
        self.look_alikes = look_alikes
        self.spaces = spaces
        self._plain: dict[int, str] = {}
        self._marked: dict[int, str] | None = {} if evasion and look_alikes and spaces else None
        for low, high in (*_EAGER_RANGES, (FULL_WIDTH.start, FULL_WIDTH.stop)):
            for code in range(low, high):
                self.__missing__(code)
        self._coding = None if self._marked is None else _CodeMap(self, self._marked)

    def __missing__(self, code: int) -> str:
        value = self._compute(chr(code))
        if self._marked is not None:
            self._marked[code] = _marked_value(chr(code), value)
        self._plain[code] = value
        self[code] = value
        return value

    def translate_marked(self, text: str) -> tuple[str, str, bytes, bool, bool | None] | None:
        """The folded text, its letters and digits outside ASCII, the marked bytes (the text
        with each character as its folding or, for a Vietnamese letter with diacritics, as
        its own byte: ``_MARK_CODES``), whether they make a marked view, and whether the text
        is ``typed_with_diacritics`` when the codes tell (None: ask the text), so that one
        pass over the characters gives the folded text and both views. A text holding a
        look-alike or full-width character makes none: those read as other letters there.
        None when the text holds a letter of another script past Latin-1 (the caller folds
        it piece by piece).

        The pass is a charmap encoding (``_CodeMap``), five times faster than
        ``str.translate``, which looks every character outside ASCII up in a dict: each
        character of the map becomes its code, any other one the code of "?", and the codes
        become the folded text and the marked bytes in C. The rare characters outside the
        map are then looked up in the table one by one."""
        table, coding = self._marked, self._coding
        if table is None or coding is None:
            raise TypeError("marked bytes need a table with evasion, look-alikes and spaces")
        codes = codecs.charmap_encode(text, "replace", coding.encoding)[0]
        folded = codecs.charmap_decode(codes, "strict", coding.folded)[0]
        encoded = codes.translate(coding.marked)
        question = coding.question
        if codes.count(question) == text.count("?"):  # no letter or digit outside ASCII
            return folded, "", encoded, True, coding.typed_with_diacritics(codes)
        # characters outside the map: Latin-1 ones are their byte, those past it their own
        # folding, and look-alikes stand in for the letter they fold to
        pieces: list[str] = []
        bytes_of: list[tuple[int, int]] = []
        stood_in = False
        done = 0
        index = codes.find(question)
        while index >= 0:
            char = text[index]
            if char != "?":
                value = table.get(ord(char))
                if value is None:
                    self._add([char])
                    value = table[ord(char)]
                code = ord(value)
                if value == _NOT_MARKED:
                    return None
                if code < 0x100:
                    bytes_of.append((index, code))
                    value = chr(_UNMARK[code])
                elif _STAND_IN <= code < _STAND_IN + 0x80:
                    value = chr(code - _STAND_IN)
                    bytes_of.append((index, code - _STAND_IN))
                    stood_in = True
                elif value.isalnum() and not value.isdecimal():
                    return None
                pieces += [folded[done:index], value]
                done = index + 1
            index = codes.find(question, index + 1)
        pieces.append(folded[done:])
        folded = "".join(pieces)
        if bytes_of:
            letters = bytearray(encoded)
            for index, code in bytes_of:
                letters[index] = code
            encoded = bytes(letters)
        return folded, _letters_outside_ascii(folded), encoded, not stood_in, None

    def translate(self, text: str) -> tuple[str, str]:
        """``text.translate(self)`` and the characters outside ASCII left in it.

        Through a plain dict kept beside the table: CPython looks characters up in a dict
        subclass a third slower, and this is the one pass over every character of every
        item. A character the table has not seen stays as it is in that pass; it is then
        folded into the table and the text translated again (as it is when another thread
        added characters meanwhile)."""
        while True:
            size = len(self._plain)
            folded = text.translate(self._plain)
            rest = "" if folded.isascii() else _non_ascii_chars(folded)
            unseen = [c for c in rest if ord(c) not in self]
            if unseen:
                self._add(unseen)
            elif len(self._plain) == size:
                return folded, rest

    def _add(self, chars: list[str]) -> None:
        """Characters met that the tables did not have."""
        for char in chars:
            if ord(char) not in self:
                self.__missing__(ord(char))

    def _compute(self, char: str) -> str:
        folded = self._fold(char)
        if self.spaces and folded.isspace():
            return " " if char == " " else "\n"
        return folded

    def _fold(self, char: str) -> str:
        if not self.evasion:
            return base_fold(char) or _REMOVED
        if char in ZERO_WIDTH or char == SOFT_HYPHEN:
            return _REMOVED
        if ord(char) in FULL_WIDTH:
            return chr(ord(char) - 0xFEE0).lower()
        if self.look_alikes:
            latin = confusables()[0].get(ord(char))
            if latin is not None:
                return base_fold(latin)
        folded = base_fold(char)
        if not folded.isascii() and folded.isalpha():
            return latin_base(folded) or folded
        return folded or _REMOVED


# Besides ASCII and the Vietnamese letters, the characters of Vietnamese text that get a code
# of the one pass (a charmap holds 256, and these fill it): the signs of press text (quotes,
# dashes and the ellipsis are in two of five articles; the no-break space comes with web
# pages), and the characters that fold to nothing there: the combining marks of letters
# typed decomposed (as some keyboards and copies from macOS give them), the mark most used
# to decorate letters past a filter (U+033C), and the zero-width characters but the word
# joiner, which is the rarest. Any other character is looked up one by one.
_COMMON_SIGNS = "\u00a0\u201c\u201d\u2018\u2019\u2013\u2014\u2026\u00b0\u2022"
_COMMON_REMOVED = "\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323\u033c\u200b\u200c\u200d\ufeff"


class _CodeMap:
    """The one pass of ``translate_marked`` as a charmap codec: a code (one byte) for each of
    256 characters, and what each code stands for in the folded text and in the marked
    bytes. CPython encodes with such a map in C, at about 3 ns a character, where
    ``str.translate`` takes 25 for each one outside ASCII.

    ``encoding``: the map (CPython builds its fast form only when code 0 is NUL and every
    character is in the BMP); ``folded``: each code's folding, as a charmap decoding table;
    ``marked``: each code's marked byte, "?" for a character past Latin-1; ``question``: the
    code of "?", which also stands for every character outside the map. A character goes
    in only when those say all about it and it folds to no letter or digit outside ASCII:
    so no look-alike (it stands in for another letter), no letter of another script (the
    text is folded in pieces), and a text of coded characters needs no more looking at."""

    def __init__(self, table: _FoldTable, marked: dict[int, str]) -> None:
        letters = [*_MARK_CODES, *(letter.upper() for letter in _MARK_CODES)]
        ascii_chars = "\x00\t\n\r" + "".join(map(chr, range(0x20, 0x7F)))
        wanted = ascii_chars + "".join(letters) + _COMMON_SIGNS + _COMMON_REMOVED
        chars = [c for c in dict.fromkeys(wanted) if _codable(table[ord(c)], marked[ord(c)])]
        if len(chars) > 256:
            raise ValueError(f"{len(chars)} characters for the 256 codes of a charmap")
        chars += ["\ufffe"] * (256 - len(chars))  # U+FFFE: no character
        self.encoding = codecs.charmap_build("".join(chars))
        self.folded = "".join(table.get(ord(c), "?") for c in chars)
        self.marked = bytes(_marked_byte(marked.get(ord(c), "?")) for c in chars)
        self.question = bytes([chars.index("?")])
        self._letters = bytes(_letter_kind(c) for c in chars)

    def typed_with_diacritics(self, codes: bytes) -> bool:
        """``typed_with_diacritics`` of a text every character of which has a code: its
        letters counted in the codes (one translate and two counts in C), not in an encoding
        of the text made for them."""
        kinds = codes.translate(self._letters)
        accented = kinds.count(b"v")
        if not accented:
            return False
        if _share_reached(accented, len(kinds) - accented):  # all the rest as letters
            return True
        return _share_reached(accented, kinds.count(b"a"))


def _codable(folded: str, marked: str) -> bool:
    """Whether a character with this folding and marked value can be given a code."""
    if len(folded) != 1 or marked == _NOT_MARKED or (folded.isalnum() and not folded.isascii()):
        return False
    if ord(marked) < 0x100:
        return chr(_UNMARK[ord(marked)]) == folded
    return marked == folded


def _marked_byte(marked: str) -> int:
    return ord(marked) if ord(marked) < 0x100 else ord("?")


def _letters_outside_ascii(folded: str) -> str:
    """The letters and digits outside ASCII in a folded text: all that its users ask of
    those characters is whether one is a letter or a digit."""
    return "".join(filter(str.isalnum, _non_ascii_chars(folded)))


def _marked_value(char: str, folded: str) -> str:
    """A character in the marked bytes (``_FoldTable.translate_marked``)."""
    code = ord(char)
    if _STAND_IN <= code < _STAND_IN + 0x80:
        return _NOT_MARKED
    if code in FULL_WIDTH or code in confusables()[0]:
        ascii_char = len(folded) == 1 and folded.isascii()
        return chr(_STAND_IN + ord(folded)) if ascii_char else _NOT_MARKED
    return _MARK_CODES.get(unicodedata.normalize("NFC", char).lower(), folded)


@cache
def _table(evasion: bool, look_alikes: bool = False, spaces: bool = False) -> _FoldTable:
    return _FoldTable(evasion, evasion and look_alikes, spaces)


class Origin(Sequence[int]):
    """``origin[i]``: the index in the original text of folded character i.

    Stored as runs where the folded and original texts advance together: ``starts[k]`` is
    the folded index where run k begins and ``deltas[k]`` what to add to reach the original.
    """

    __slots__ = ("_deltas", "_length", "_starts")

    def __init__(self, starts: list[int], deltas: list[int], length: int) -> None:
        self._starts = starts
        self._deltas = deltas
        self._length = length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("folded index out of range")
        return index + self._deltas[bisect_right(self._starts, index) - 1]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """``(self[start], self[end - 1] + 1)`` for 0 <= start < end <= len(self), with one
        look-up when both lie in one run (the common case: a word)."""
        starts, deltas = self._starts, self._deltas
        run = bisect_right(starts, start) - 1
        last = end - 1
        if run + 1 < len(starts) and starts[run + 1] <= last:
            return start + deltas[run], last + deltas[bisect_right(starts, last) - 1] + 1
        return start + deltas[run], last + deltas[run] + 1

    def __iter__(self) -> Iterator[int]:
        if not self._starts:  # an empty text
            return
        bounds = [*self._starts[1:], self._length]
        for start, end, delta in zip(self._starts, bounds, self._deltas, strict=True):
            yield from range(start + delta, end + delta)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == self._length and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Origin({list(self)!r})"


@dataclass(frozen=True, slots=True)
class FoldedText:
    """Folded text plus ``origin[i]``: the index in ``original`` of folded character i.

    ``view`` is the word view of ``folded`` (see ``word_view``), made once here because every
    matcher of an analysis scans it; ``marked`` its marked view (see ``_fold_plain_text``)
    or None."""

    original: str
    folded: str
    origin: Sequence[int]
    view: WordView = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    marked: str | None = field(default=None, compare=False, repr=False)
    _accented: bool | None = field(default=None, init=False, compare=False, repr=False)
    _copies: tuple[str, str] | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.view is None:
            object.__setattr__(self, "view", word_view(self.folded))

    @property
    def accented(self) -> bool:
        """Whether the original is typed with diacritics (``typed_with_diacritics``), worked
        out once: the locality tagger and both rule matchers ask."""
        if self._accented is None:
            object.__setattr__(self, "_accented", typed_with_diacritics(self.original))
        return bool(self._accented)

    def surface(self, start: int, end: int) -> str:
        """``original[slice(*self.span(start, end))]``: what was written there.

        Read from the original characters laid out as the folded ones (``_copies``) when
        [start, end) lies inside one run of the offset map and is followed by a character
        of the same run: then no character was removed inside it or right after it, so no
        markup, cut space or trailing mark (folding removes every combining mark) belongs
        to it, and the slice is the original's. A rule pack checks about fifty hits per
        article this way."""
        if self._copies is None:
            object.__setattr__(self, "_copies", self._lay_out())
        copies, run_starts = self._copies  # type: ignore[misc]
        if end < len(copies) and "\x01" not in run_starts[start + 1 : end + 1]:
            return copies[start:end]
        return self.original[slice(*self.span(start, end))]

    def _lay_out(self) -> tuple[str, str]:
        """The original character of every folded one, and a string marking with \\x01 where
        each run of the offset map starts."""
        origin = self.origin
        if type(origin) is not Origin:
            copies = "".join(self.original[i] for i in origin)
            return copies, "\x01" * len(copies)
        bounds = [*origin._starts[1:], origin._length]
        runs = list(zip(origin._starts, bounds, origin._deltas, strict=True))
        copies = "".join(self.original[start + delta : end + delta] for start, end, delta in runs)
        run_starts = "".join("\x01" + "\x00" * (end - start - 1) for start, end, _ in runs)
        return copies, run_starts

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded [start, end) span to the original text, keeping trailing marks."""
        origin = self.origin
        if type(origin) is Origin and 0 <= start < end <= origin._length:
            o_start, o_end = origin.span(start, end)
        else:
            o_start, o_end = origin[start], origin[end - 1] + 1
        original = self.original
        while unicodedata.combining(original[o_end : o_end + 1] or "a"):
            o_end += 1
        return o_start, o_end


ACCENTED_SHARE = 0.04  # accented letters per letter; Vietnamese typed with marks has ~0.2
# Letters counted as accented: U+00C0-U+024F (Latin-1 Supplement letters to Latin Extended-B)
# and U+1E00-U+1EFF (Latin Extended Additional, most Vietnamese letters). Counted on the
# UTF-8 bytes by their lead bytes, in C, not by a regex match per letter (once a seventh of
# analyze-text's time): U+00C0-U+023F lead with C3-C8 (counted by deleting every other byte),
# U+0240-U+024F with C9 80-8F, U+1E00-U+1EFF with E1 B8-BB.
_NOT_C3_TO_C8 = bytes(b for b in range(256) if not 0xC3 <= b <= 0xC8)
_ACCENTED_E1 = tuple(bytes([0xE1, b]) for b in range(0xB8, 0xBC))
_ACCENTED_C9 = tuple(bytes([0xC9, b]) for b in range(0x80, 0x90))
_ASCII_LETTERS = string.ascii_letters.encode()


def _letter_kind(char: str) -> int:
    """A character as ``typed_with_diacritics`` counts it, read off the same bytes: "v" for
    an accented letter, "a" for an ASCII letter."""
    data = char.encode("utf-8", "surrogatepass")
    if data.translate(None, _NOT_C3_TO_C8) or data[:2] in (*_ACCENTED_E1, *_ACCENTED_C9):
        return ord("v")
    return ord("a") if data in _ASCII_LETTERS else ord(".")


def _share_reached(accented: int, ascii_letters: int) -> bool:
    """Whether the accented letters make ``ACCENTED_SHARE`` of these letters (ASCII letters
    or an upper bound on them)."""
    return accented > 0 and accented / (accented + ascii_letters) >= ACCENTED_SHARE


def typed_with_diacritics(text: str) -> bool:
    """Whether the writer used diacritics: a few accented letters in a long text do not
    count (a name, a quoted word), so this is a share of letters, not a yes/no per word."""
    if text.isascii():
        return False
    data = text.encode("utf-8", "surrogatepass")
    accented = len(data.translate(None, _NOT_C3_TO_C8))
    # Decided at once for most texts typed with marks: the two-byte letters alone against
    # every character that could be an ASCII letter (a character outside ASCII takes at least
    # two bytes of the encoding, so at most len(data) - len(text) of them are not ASCII).
    at_most_ascii = len(text) - (len(data) - len(text)) // 3
    if _share_reached(accented, at_most_ascii):
        return True
    if b"\xe1" in data:
        accented += sum(map(data.count, _ACCENTED_E1))
    if b"\xc9" in data:
        accented += sum(map(data.count, _ACCENTED_C9))
    if not accented:
        return False
    ascii_letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
    return _share_reached(accented, ascii_letters)


# ASCII letters and digits as themselves, every other byte (including the "?" that stands for
# a character outside ASCII) as a space.
_VIEW_BYTES = bytes(c if chr(c).isalnum() else 0x20 for c in range(128)) + b" " * 128
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# The word view and the marked view from the marked bytes: a letter's byte as its folded
# letter or as itself, ASCII as in the word view, every other byte (a "?" for a character
# past Latin-1 among them) as a space.
_MARKED_TO_WORD_VIEW = bytes(
    _VIEW_BYTES[b] if b < 128 else (_UNMARK[b] if _UNMARK[b] != b else 0x20) for b in range(256)
)


# The marked bytes of a text whose only letters are ASCII ones drawn as letters ("a"), other
# word characters ("0") and the rest, so that _SPACED_HINT becomes a literal search; a "?"
# (a character past Latin-1) is drawn as no word character, which only finds more hints.
def _drawn(byte: int) -> str:
    char = chr(_UNMARK[byte])
    if char.isascii() and char.isalpha():
        return "a"
    if char.isdigit() or char == "_":
        return "0"
    return " " if char == " " else "."


_LETTER_IMAGE = "".join(map(_drawn, range(256))).encode("latin-1")
# The second and third letters of a run of spaced letters. A regex: " a a " is in nine
# images of ten and the image has four bytes, a worst case for a literal search.
_SPACED_IMAGE = re.compile(rb" a a(?![a0])")
_MARKED_TO_MARKED_VIEW = bytes(
    _VIEW_BYTES[b] if b < 128 else (b if _UNMARK[b] != b else 0x20) for b in range(256)
)


@dataclass(frozen=True, slots=True)
class WordView:
    """``text``: the folded text with every character that is not a letter or digit as a space,
    one space added at each end; ``exact``: every space in it stands for a character that is
    not alphanumeric (False when a letter outside ASCII, of another script, was blanked).

    Same length as the folded text plus two, so a matcher can demand word boundaries inside
    its automaton (a phrase padded with spaces) instead of checking them per hit in Python,
    where nine of ten raw hits of a large rule set used to be thrown away."""

    text: str
    exact: bool


def word_view(folded: str) -> WordView:
    """The word view, in C: one ASCII encode and one bytes.translate."""
    encoded = folded.encode("ascii", "replace")
    blanked = encoded.translate(_VIEW_BYTES).decode("ascii")
    exact = not any(c.isalnum() for c in _non_ascii_chars(folded, encoded))
    return WordView(f" {blanked} ", exact)


def _non_ascii_chars(text: str, encoded: bytes | None = None) -> str:
    """The characters of ``text`` outside ASCII, found in C where its ASCII encoding (given
    or made) puts a "?" the text does not have: a regex over the whole text cost more than
    the word view itself, and a folded Vietnamese article keeps about six (quotes, dashes)."""
    if text.isascii():
        return ""
    if encoded is None:
        encoded = text.encode("ascii", "replace")
    wanted = encoded.count(b"?") - text.count("?")
    if wanted > 64:
        return "".join(_NON_ASCII.findall(text))
    chars: list[str] = []
    index = encoded.find(b"?")
    while index >= 0 and len(chars) < wanted:
        if text[index] != "?":
            chars.append(text[index])
        index = encoded.find(b"?", index + 1)
    return "".join(chars)


def _has_foreign_letter(folded: str, rest: str | None = None) -> bool:
    """``_FOREIGN.search(folded)``, faster: a non-ASCII word character that is no digit;
    ``rest``: the non-ASCII characters of ``folded`` when already known."""
    chars = _non_ascii_chars(folded) if rest is None else rest
    return any(c.isalnum() and not c.isdecimal() for c in chars)


def fold_char(char: str) -> str:
    """One character to its folded form: lowercase, no diacritics, đ -> d; '' for a mark."""
    return fold(char)


def fold(text: str) -> str:
    """The folded form alone, for keywords and comparisons (whitespace kept as it is)."""
    table = _table(True, look_alikes=True)
    if _REMOVED not in text:
        folded, rest = table.translate(text)
        if _REMOVED not in folded and not _has_foreign_letter(folded, rest):
            return folded
    builder = _Builder()
    builder.plain(text, 0, len(text), table, evasion=True)
    return "".join(builder.parts)


def has_diacritics(text: str) -> bool:
    return fold(text) != unmask(text).lower()


def fold_with_offsets(text: str, evasion: bool = True) -> FoldedText:
    """Fold, with HTML remnants neutralized and whitespace collapsed, keeping offsets.

    A tag reads as a space and an entity as the character it stands for, so text pasted
    with markup still matches; each run of whitespace becomes one space so phrases match
    across line breaks and double spaces. Offsets still index ``text`` as given.
    ``evasion=False`` gives the folding as it was before evasion was undone (for tests).
    """
    table = _table(evasion, look_alikes=True, spaces=True)
    markup = ("<" in text or "&" in text) and _MARKUP.search(text) is not None
    if not evasion or markup or _REMOVED in text:
        return _fold_in_pieces(text, table, evasion, markup)
    translated = table.translate_marked(text)
    if translated is None:
        return _fold_in_pieces(text, table, evasion, markup)
    folded_text = _fold_plain_text(text, *translated)
    if folded_text is not None:
        return folded_text
    # marks or zero-width characters to remove: piece by piece, from the same translation
    return _fold_in_pieces(text, table, evasion, markup, translated[:2])


def _fold_in_pieces(
    text: str,
    table: _FoldTable,
    evasion: bool,
    markup: bool,
    translated: tuple[str, str] | None = None,
) -> FoldedText:
    """Any text: markup, removed characters and letters of other scripts piece by piece.
    ``translated``: the whole text folded and its letters and digits outside ASCII (from
    ``translate_marked``), when they are known (no markup)."""
    builder = _Builder()
    cursor = 0
    if markup:
        for found in _MARKUP.finditer(text):
            builder.plain(text, cursor, found.start(), table, evasion)
            builder.markup(found.group(), found.start(), table)
            cursor = found.end()
    builder.plain(text, cursor, len(text), table, evasion, translated)
    folded = "".join(builder.parts)
    starts, deltas = builder.starts, builder.deltas
    cuts = _cuts(folded, evasion)
    if cuts:
        folded, starts, deltas = _delete(folded, starts, deltas, cuts)
    if "\n" in folded:
        folded = folded.replace("\n", " ")
    return FoldedText(text, folded, Origin(starts, deltas, len(folded)))


def _fold_plain_text(
    text: str, folded: str, rest: str, encoded: bytes, markable: bool, accented: bool | None
) -> FoldedText | None:
    """The common case, from one pass over the characters (``translate_marked``: ``folded``,
    its letters and digits outside ASCII, the marked bytes, whether they make a marked view):
    text without markup in which every character folds to one (no mark to remove, no letter
    of another script to fold again); None for any other text.

    Its word view is made from the same bytes, and so is its marked view when the text is
    typed with diacritics (``typed_with_diacritics``) and ``markable``: the word view with
    every Vietnamese letter with diacritics kept as its own byte (``_MARK_CODES``). In such
    a text a one-word phrase typed with diacritics matches only a word whose letters are its
    own ("lạ" never "là" or "la", see ``matcher.same_word``), so a matcher looks for it in
    the marked view and the words that merely fold alike never reach Python: for the
    default rule pack, the common syllables were three in five of an article's automaton
    hits, each checked in Python and thrown away. Look-alike and full-width characters,
    combining marks and entities read as other letters, so text holding them has no marked
    view (and its words are looked for in the word view alone).
    """
    if _REMOVED in folded or _has_foreign_letter(folded, rest):
        return None
    starts, deltas = ([0], [0]) if folded else ([], [])
    cuts = _cuts(folded, True, encoded.translate(_LETTER_IMAGE))
    if cuts:
        folded, starts, deltas = _delete(folded, starts, deltas, cuts)
        encoded = _cut_bytes(encoded, cuts)
    if "\n" in folded:
        folded = folded.replace("\n", " ")
    exact = not any(c.isalnum() for c in rest)
    view = WordView(f" {encoded.translate(_MARKED_TO_WORD_VIEW).decode('latin-1')} ", exact)
    if accented is None:
        accented = typed_with_diacritics(text)
    marked = None
    if accented and markable:
        marked = f" {encoded.translate(_MARKED_TO_MARKED_VIEW).decode('latin-1')} "
    result = FoldedText(text, folded, Origin(starts, deltas, len(folded)), view, marked)
    object.__setattr__(result, "_accented", accented)
    return result


def marked_spelling(word: str) -> str | None:
    """A lowercase NFC word as the marked view writes it, or None when it holds anything but
    ASCII letters and digits and Vietnamese letters."""
    spelled = []
    for char in word:
        code = _MARK_CODES.get(char)
        if code is None and not (char.isascii() and char.isalnum()):
            return None
        spelled.append(code or char)
    return "".join(spelled)


def _cut_bytes(data: bytes, cuts: list[tuple[int, int]]) -> bytes:
    """The bytes without the sorted, disjoint [a, b) spans (``_delete`` for the text)."""
    parts = []
    previous = 0
    for a, b in cuts:
        parts.append(data[previous:a])
        previous = b
    parts.append(data[previous:])
    return b"".join(parts)


class _Builder:
    """Collects folded pieces and the runs that map them back to the original text."""

    __slots__ = ("deltas", "length", "parts", "starts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.deltas: list[int] = []
        self.length = 0

    def emit(self, piece: str, original_index: int) -> None:
        if not piece:
            return
        delta = original_index - self.length
        if not self.deltas or self.deltas[-1] != delta:
            self.starts.append(self.length)
            self.deltas.append(delta)
        self.parts.append(piece)
        self.length += len(piece)

    def emit_split(self, pieces: list[str], original_index: int) -> None:
        """``emit`` for each piece, the pieces one removed character apart in the original
        from ``original_index`` on, in C: text typed with decomposed marks has one removed
        character in every few, each a run of its own."""
        lengths = list(map(len, pieces))
        delta = original_index - self.length
        starts = list(compress(accumulate(lengths, initial=self.length), lengths))
        deltas = list(compress(range(delta, delta + len(pieces)), lengths))
        if deltas and self.deltas and self.deltas[-1] == deltas[0]:
            del starts[0], deltas[0]
        self.starts += starts
        self.deltas += deltas
        self.parts.append("".join(pieces))
        self.length += sum(lengths)

    def markup(self, token: str, index: int, table: _FoldTable) -> None:
        if token.startswith("<"):
            self.emit("\n", index)  # a space that spaced-out letters do not cross
            return
        for char in html.unescape(token):
            folded = fold(char) if table.evasion else char.translate(table)
            if folded.isspace():
                folded = " "
            if folded and folded != _REMOVED:
                self.emit(folded, index)

    def plain(
        self,
        text: str,
        start: int,
        end: int,
        table: _FoldTable,
        evasion: bool,
        translated: tuple[str, str] | None = None,
    ) -> None:
        """``translated``: the segment folded and (at least) its letters and digits outside
        ASCII, when they are known; ``table.translate`` gives all its characters outside ASCII."""
        if start >= end:
            return
        segment = text[start:end]
        if evasion and _REMOVED in segment:
            segment = unmask_confusables(segment)
            table = _table(True, look_alikes=False, spaces=table.spaces)
        if _REMOVED in segment:
            self._char_by_char(segment, start, table)
            return
        folded, rest = translated or table.translate(segment)
        if table.look_alikes and _has_foreign_letter(folded, rest):
            folded = _refold_foreign_words(segment, folded, table.spaces)
        if _REMOVED not in folded:
            self.emit(folded, start)
            return
        if not (evasion and any(char in segment for char in ZERO_WIDTH)):
            self.emit_split(folded.split(_REMOVED), start)
            return
        cursor = 0
        for removed in _REMOVED_RUN.finditer(folded):
            self.emit(folded[cursor : removed.start()], start + cursor)
            if (
                evasion
                and segment[removed.start()] in ZERO_WIDTH
                and _word_boundary(segment, removed.start(), removed.end())
            ):
                self.emit(" ", start + removed.start())
            cursor = removed.end()
        self.emit(folded[cursor:], start + cursor)

    def _char_by_char(self, segment: str, start: int, table: _FoldTable) -> None:
        """Text holding NUL itself: the marker cannot be used, fold one character at a time."""
        for index, char in enumerate(segment):
            folded = char if char == _REMOVED else table[ord(char)]
            if folded != _REMOVED or char == _REMOVED:
                self.emit(folded, start + index)


def _refold_foreign_words(segment: str, folded: str, spaces: bool) -> str:
    """Words with a letter of another script folded again, their look-alikes kept as written.

    Look-alikes count inside Latin words only: 'друзья' keeps its 'р' and 'у'.
    """
    plain = _table(True, look_alikes=False, spaces=spaces)
    parts: list[str] = []
    done = 0
    for found in _FOREIGN.finditer(folded):
        if found.start() < done:
            continue
        start, end = found.start(), found.end()
        while start > done and _in_word(segment[start - 1]):
            start -= 1
        while end < len(segment) and _in_word(segment[end]):
            end += 1
        word = segment[start:end]
        if unmask_word(word) is word:  # truly foreign: no look-alike reading
            parts += [folded[done:start], word.translate(plain)]
            done = end
    parts.append(folded[done:])
    return "".join(parts)


def _in_word(char: str) -> bool:
    return char.isalnum() or "\u0300" <= char <= "\u036f" or char in SOFT_HYPHEN + ZERO_WIDTH


def _word_boundary(segment: str, start: int, end: int) -> bool:
    """A zero-width character between 'c' and 'H' ("Ngọc\u200bHồi") stands for a space."""
    if start == 0 or end >= len(segment):
        return False
    if any(char not in ZERO_WIDTH for char in segment[start:end]):
        return False
    return segment[start - 1].islower() and segment[end].isupper()


def _cuts(folded: str, evasion: bool, image: bytes | None = None) -> list[tuple[int, int]]:
    """Spans to delete: whitespace after the first of a run, spaces between spaced letters.

    ``image``: the text as ``_LETTER_IMAGE`` draws it, when its only letters are ASCII ones;
    spaced letters are then hinted at by a literal search, not a regex tried at every space
    (once a fifth of the folding's time)."""
    cuts: list[tuple[int, int]] = []
    flat = folded.replace("\n", " ") if "\n" in folded else folded
    start = flat.find("  ")  # C searches from run to run: the regex tried at every position
    while start >= 0:  # cost 50 us on an article with double spaces
        end = _SPACE_RUN.match(flat, start).end()  # type: ignore[union-attr]
        cuts.append((start + 1, end))
        start = flat.find("  ", end)
    if not evasion:
        return cuts
    if image is not None:
        runs = _spaced_runs(folded, image) if _SPACED_IMAGE.search(image) else []
    else:
        runs = list(_SPACED_LETTERS.finditer(folded)) if _SPACED_HINT.search(folded) else []
    joined = [(m.start() + i, m.start() + i + 1) for m in runs for i in range(1, len(m[0]), 2)]
    if joined:
        cuts = sorted(cuts + joined)
    return cuts


def _spaced_runs(folded: str, image: bytes) -> list[re.Match[str]]:
    """``_SPACED_LETTERS.finditer(folded)``, tried only where the image shows three letters
    with a space between each, where every run starts (the regex tried at every position
    cost 400 us on a long article)."""
    runs = []
    start = image.find(b"a a a")
    while start >= 0:
        run = _SPACED_LETTERS.match(folded, start)
        if run is None:
            start = image.find(b"a a a", start + 1)
        else:
            runs.append(run)
            start = image.find(b"a a a", run.end())
    return runs


def _delete(
    text: str, starts: list[int], deltas: list[int], cuts: list[tuple[int, int]]
) -> tuple[str, list[int], list[int]]:
    """Remove sorted, disjoint [a, b) spans from text and carry the offset runs along (the
    runs between two cuts move together: text typed with decomposed marks has hundreds)."""
    parts: list[str] = []
    new_starts: list[int] = []
    new_deltas: list[int] = []
    removed = 0
    previous = 0
    for a, b in [*cuts, (len(text), len(text))]:
        if a > previous:
            parts.append(text[previous:a])
            run = bisect_right(starts, previous) - 1  # the run holding the kept piece's start
            _append_run(new_starts, new_deltas, previous - removed, deltas[run] + removed)
            later = bisect_left(starts, a, run + 1)  # the runs starting inside the piece
            new_starts += [start - removed for start in starts[run + 1 : later]]
            new_deltas += [delta + removed for delta in deltas[run + 1 : later]]
        removed += b - a
        previous = b
    return "".join(parts), new_starts, new_deltas


def _append_run(starts: list[int], deltas: list[int], start: int, delta: int) -> None:
    if not deltas or deltas[-1] != delta:
        starts.append(start)
        deltas.append(delta)
