"""Multi-pattern phrase matching on folded text, at word boundaries.

All phrases are matched with Aho-Corasick automata (daachorse's double arrays, over the
bytes of the views): one pass over the word view, and one over the marked view for a text
typed with diacritics, so the cost grows with the text, not with the number of keywords.
A phrase typed with diacritics matches text that has the same diacritics, or text typed
without them ("lua dao"): a letter the writer typed with a diacritic must be the phrase's
own letter. Whether a bare letter may
stand for an accented one depends on the document: in text typed with diacritics a bare
"gia" is "gia", never "giả", and "an" in "công an" is not "ăn"; only in text typed (mostly)
without diacritics does a bare letter stand for any. So no phrase matches a different word
that folds the same way ("lúa đào" for "lừa đảo", "quà" for "qua"). A phrase ending in
``*`` matches words that start with it ("chuyen*" finds "chuyển" and "chuyenkhoan").
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, Generic, NamedTuple, TypeVar

import daachorse

from nlp.look_alikes import unmask
from nlp.normalize import FoldedText, fold, fold_char, has_diacritics, marked_spelling, word_view

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


class _Entry(NamedTuple, Generic[T]):
    """One folded phrase key as the automaton knows it.

    ``whole``: the key was added padded on both sides, so its hits end at a word boundary;
    otherwise padded on the left only (prefix phrases), for hits inside a longer word.
    ``verify``: the key holds characters the word view blanks (spaces, punctuation, letters
    outside ASCII), so a hit must be compared with the folded text itself."""

    key: str
    length: int
    values: tuple[tuple[str, bool, T], ...]  # (phrase as written, prefix, payload)
    whole: bool
    verify: bool


# A key found at word boundaries, before the diacritics check: (start, end, whole word, entry),
# folded offsets. A plain tuple: there are about a hundred per article with a large rule set.
Candidate = tuple[int, int, bool, _Entry[T]]
# What the automaton gives: the index in the view where a key ends, and the key's entries.
Scanned = tuple[int, tuple[_Entry[T], ...]]


class PhraseMatcher(Generic[T]):
    """Finds phrases (each with a payload) in text; offsets index the original text.

    The automaton scans the text's word view (``normalize.word_view``) with every key padded
    by spaces, so only hits at word boundaries come out of it; Python then looks at those
    alone (for a rule pack of a thousand terms, ten times fewer than the raw hits).

    In a document with a marked view (``FoldedText.marked``), the keys whose every phrase is
    one word typed with diacritics are looked for as written, in that view: there "lạ" can
    only be "lạ", so the words that merely fold alike ("là", "la") never reach Python.
    Everything else is scanned in the word view."""

    def __init__(self, phrases: Iterable[tuple[str, T]]) -> None:
        keyed: dict[str, list[tuple[str, bool, T]]] = {}
        for phrase, payload in phrases:
            prefix = phrase.endswith("*")
            spelled = phrase.rstrip("*").strip() if prefix else phrase
            key = " ".join(fold(spelled).split())
            if key:
                keyed.setdefault(key, []).append((spelled, prefix, payload))
        words: dict[str, list[_Entry[T]]] = {}
        plain: dict[str, list[_Entry[T]]] = {}
        marked: dict[str, list[_Entry[T]]] = {}
        for key, values in keyed.items():
            blanked = word_view(key).text[1:-1]
            verify = blanked != key or " " in key
            spellings = _marked_spellings(key, values)
            for word, entry in _entries(blanked, key, tuple(values), verify):
                words.setdefault(word, []).append(entry)
                if spellings is None:
                    plain.setdefault(word, []).append(entry)
            for spelled, group in (spellings or {}).items():
                for word, entry in _entries(spelled, key, group, False):
                    marked.setdefault(word, []).append(entry)
        self._words = {word: tuple(entries) for word, entries in words.items()}
        # a word whose keys are all plain keeps its very tuple: one mask, one object
        self._plain = {
            word: self._words[word] if len(entries) == len(words[word]) else tuple(entries)
            for word, entries in plain.items()
        }
        self._marked = {word: tuple(entries) for word, entries in marked.items()}
        self._size = len(keyed)
        self._group: ScanGroup | None = None

    def __len__(self) -> int:
        return self._size

    def words(self) -> Iterator[tuple[str, tuple[_Entry[T], ...]]]:
        """Every key padded for the word view and its entries, the very tuples a scan gives
        back, for a document without a marked view."""
        yield from self._words.items()

    def plain_words(self) -> Iterator[tuple[str, tuple[_Entry[T], ...]]]:
        """The words scanned in the word view of a document with a marked view: those of the
        keys that are not looked for as written."""
        yield from self._plain.items()

    def marked_words(self) -> Iterator[tuple[str, tuple[_Entry[T], ...]]]:
        """The words scanned in the marked view: the other keys' phrases as written there
        (``normalize.marked_spelling``), padded as in the word view."""
        yield from self._marked.items()

    def entry_tuples(self) -> Iterator[tuple[_Entry[T], ...]]:
        """Every tuple of entries a scan can give back, once (for tables keyed by their
        identity)."""
        tuples = [*self._words.values(), *self._plain.values(), *self._marked.values()]
        yield from {id(entries): entries for entries in tuples}.values()

    def scan(self, text: FoldedText, accented: bool | None = None) -> list[Scanned[T]]:
        """The automaton's hits, unchecked (C-speed passes); ``accented`` as for ``find``."""
        if self._group is None:
            self._group = ScanGroup([self])
        return self._group.scan(text, accented)[0]

    def candidates(
        self,
        text: FoldedText,
        scanned: Iterable[Scanned[T]] | None = None,
        accented: bool | None = None,
    ) -> list[Candidate[T]]:
        """Keys found at word boundaries, with folded offsets; the diacritics are not checked
        yet (``accept`` does that), so a caller can skip hits it will not use. ``scanned``:
        hits of ``scan`` the caller kept (all of them when None), from a scan given the
        ``accented`` answer that the caller's diacritics check will use."""
        view = text.view
        blanks, exact = view.text, view.exact
        folded = text.folded
        size = len(folded)
        out: list[Candidate[T]] = []
        for view_end, entries in self.scan(text, accented) if scanned is None else scanned:
            for entry in entries:
                if entry.whole:
                    end = view_end - 1  # the view is the folded text shifted by one
                elif view_end + 1 == len(blanks) or blanks[view_end + 1] == " ":
                    # its whole entry matched here too and reports it; or the key ends in a
                    # character the view blanks ("covid-*") and met the view's last space
                    continue
                else:
                    end = view_end
                start = end - entry.length
                if entry.verify and folded[start:end] != entry.key:
                    continue
                if exact:
                    out.append((start, end, entry.whole, entry))
                elif not (start > 0 and folded[start - 1].isalnum()):
                    # a blank may be a letter of another script: look at the text itself
                    out.append((start, end, end >= size or not folded[end].isalnum(), entry))
        return out

    def find(
        self,
        text: FoldedText,
        accented: bool | None = None,
        scanned: Iterable[Scanned[T]] | None = None,
    ) -> Iterator[Hit[T]]:
        """Hits in the text; ``accented`` (computed when not given) says whether the
        document is typed with diacritics, which decides what a bare letter may stand for.
        ``scanned``: this matcher's share of a ``ScanGroup`` scan given the same ``accented``
        (the text is scanned here when None). Hits come in the order of their ends in the
        text, longest first, as from one automaton."""
        if not self._size:
            return
        if accented is None:
            accented = text.accented
        if scanned is None:
            scanned = self.scan(text, accented)
        for candidate in self.candidates(text, sorted(scanned, key=_text_order)):
            yield from accept(text, candidate, candidate[3].values, accented)


class ScanGroup:
    """The keys of several matchers in shared automata, so that a view is scanned once.

    An analysis runs three matchers (place names, keywords, rule terms) over the same word
    view; each scan costs a pass over every character whatever it finds, so one pass for
    the three saves two. The matchers keep their own entries (the very tuples), so what
    each receives is what its own scan would have given. A document with a marked view is
    scanned twice, the word view for the plain keys and the marked view for the others; a
    matcher then receives the hits of the first pass before those of the second (``find``
    puts them back in the text's order; the queries sort their own)."""

    def __init__(self, matchers: Sequence[PhraseMatcher[Any]]) -> None:
        self._size = len(matchers)
        self._full = _automaton(matchers, lambda m: m.words())
        self._marked = _automaton(matchers, lambda m: m.marked_words())
        self._plain = _automaton(matchers, lambda m: m.plain_words()) if self._marked else None

    def scan(self, text: FoldedText, accented: bool | None = None) -> list[list[Scanned[Any]]]:
        """Each matcher's hits, as its ``scan`` would give them. ``accented``: the answer
        its users will give ``same_word`` (the document's own when None); the marked view
        serves only documents typed with diacritics."""
        out: list[list[Scanned[Any]]] = [[] for _ in range(self._size)]
        marked = text.marked if self._marked is not None and accented is not False else None
        if marked is None:
            _dispatch(self._full, text.view.text, out)
        else:
            _dispatch(self._plain, text.view.text, out)
            _dispatch(self._marked, marked, out)
        return out


class _Automaton:
    """Words (the views' characters are all Latin-1: the word view is ASCII, the marked view
    ASCII and the marked bytes) and each word's value, found overlapping in one pass.

    daachorse, a double-array automaton with a prefilter, over the bytes of a view: about
    half the time of pyahocorasick's traversal of the same text (both views of a VFND
    article, in process: 54 -> 30 us), for the same hits in the same order."""

    __slots__ = ("_find", "values")

    def __init__(self, words: dict[str, tuple[Any, ...]]) -> None:
        self.values = list(words.values())
        patterns = [word.encode("latin-1") for word in words]
        self._find = daachorse.DoubleArrayAhoCorasick(patterns, use_prefilter=True).find_overlapping

    def iter(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, word index) of every word in the text, by their ends, the longest
        first at one end (as the Aho-Corasick traversal meets them)."""
        return self._find(text.encode("latin-1"))


def _automaton(
    matchers: Sequence[PhraseMatcher[Any]],
    words_of: Callable[[PhraseMatcher[Any]], Iterable[tuple[str, tuple[_Entry[Any], ...]]]],
) -> _Automaton | None:
    """One automaton of the matchers' words; each word gives (matcher index, entries)."""
    words: dict[str, list[tuple[int, tuple[_Entry[Any], ...]]]] = {}
    for index, matcher in enumerate(matchers):
        for word, entries in words_of(matcher):
            words.setdefault(word, []).append((index, entries))
    if not words:
        return None
    return _Automaton({word: tuple(parts) for word, parts in words.items()})


def _text_order(hit: Scanned[Any]) -> tuple[int, int]:
    """Where a hit ends in the view, then the longer first (one automaton's order)."""
    view_end, entries = hit
    return view_end, -entries[0].length - entries[0].whole


def _dispatch(automaton: _Automaton | None, text: str, out: list[list[Scanned[Any]]]) -> None:
    """Each matcher's share of the automaton's hits in the text; a hit's place is the index
    of its last character in the view."""
    if automaton is None:
        return
    values = automaton.values
    for _start, end, word in automaton.iter(text):
        for index, entries in values[word]:
            out[index].append((end - 1, entries))


def _entries(
    word: str, key: str, values: tuple[tuple[str, bool, T], ...], verify: bool
) -> list[tuple[str, _Entry[T]]]:
    """A key's automaton words and entries: padded on both sides for whole words (every
    phrase), on the left only for words running on (its prefix phrases, if any)."""
    entries = [(f" {word} ", _Entry(key, len(key), values, True, verify))]
    prefixed = tuple(v for v in values if v[1])
    if prefixed:
        entries.append((f" {word}", _Entry(key, len(key), prefixed, False, verify)))
    return entries


def _marked_spellings(
    key: str, values: list[tuple[str, bool, T]]
) -> dict[str, tuple[tuple[str, bool, T], ...]] | None:
    """The key's phrases by their spelling in the marked view, when the key can be looked
    for there: a word of ASCII letters and digits once folded, and every phrase one word
    typed with diacritics, which ``same_word`` accepts in a document typed with diacritics
    only where the written letters are its own (``_canonical``). None for any other key."""
    if not (key.isascii() and key.isalnum()):
        return None
    spellings: dict[str, list[tuple[str, bool, T]]] = {}
    for value in values:
        phrase = value[0]
        if len(phrase.split()) != 1 or not has_diacritics(phrase):
            return None
        written = _canonical(phrase)
        spelled = marked_spelling(written)
        if spelled is None or fold(written) != key:
            return None
        spellings.setdefault(spelled, []).append(value)
    return {spelled: tuple(group) for spelled, group in spellings.items()}


def accept(
    text: FoldedText,
    candidate: Candidate[T],
    values: Iterable[tuple[str, bool, T]],
    accented: bool,
) -> Iterator[Hit[T]]:
    """The hits of a candidate whose surface is the phrase as its writer would type it."""
    folded = text.folded
    start, end, whole_word, _entry = candidate
    for phrase, prefix, payload in values:
        if not (whole_word or prefix):
            continue
        # a prefix hit spans its whole word, so the highlight shows what was written
        stop = end if whole_word else word_end(folded, end)
        o_start, o_end = text.span(start, stop)
        surface = text.original[o_start:o_end]
        checked = surface if stop == end else text.surface(start, end)
        if same_word(phrase, checked, accented):
            yield Hit(payload, phrase, surface, o_start, o_end, start, stop)


def word_end(folded: str, index: int) -> int:
    """Where the word running on at ``index`` ends: a prefix hit spans its whole word."""
    return _WORD_TAIL.match(folded, index).end()  # type: ignore[union-attr]


@lru_cache(maxsize=65536)
def same_word(phrase: str, surface: str, accented: bool) -> bool:
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
