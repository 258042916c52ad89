"""Look-alike letters of other scripts, read as the Latin letters they imitate.

Text written to slip past keyword rules swaps Latin letters for Cyrillic, Greek or
mathematical ones that look the same ("ѕtk", "Hồі"). The table comes from Unicode's
confusables data as shipped with confusable_homoglyphs, is kept in the disk cache, and is
used by the folding (``nlp.normalize``) and to compare what was written (``unmask``).
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.letters import FULL_WIDTH, SOFT_HYPHEN, ZERO_WIDTH, base_fold

if TYPE_CHECKING:  # importing it imports importlib.resources, which the usual path avoids
    from importlib.resources.abc import Traversable


@cache
def confusables() -> tuple[dict[int, str], re.Pattern[str], re.Pattern[str]]:
    """Look-alike letters of other scripts -> the lowercase ASCII letter or digit they imitate
    (``_look_alikes``), a pattern for any of them, and one for a word holding one."""
    table = _look_alikes()
    word = rf"(?:[^\W_]|[\u0300-\u036f{SOFT_HYPHEN}{ZERO_WIDTH}])"
    look_alike = _char_class(sorted(table))
    # A word holding a look-alike: lazily up to the first one, then to the word's end.
    return table, re.compile(look_alike), re.compile(rf"{word}*?{look_alike}{word}*")


_LOOK_ALIKES_VERSION = 1  # raise when _build_look_alikes gives another table for the same data


def _look_alikes() -> dict[int, str]:
    """The look-alike table, from the disk cache (``nlp.disk_cache``) when it was built from
    the same data file by the same code and Unicode version: reading and parsing the 900 KB
    of confusables data was a tenth of an analysing command's start-up."""
    from nlp.disk_cache import default_cache_dir, read_json, write_json

    source = _data_file()
    key = _look_alikes_key(source) if isinstance(source, Path) else None
    path = default_cache_dir() / f"look-alikes-{key}.json" if key else None
    if path is not None:
        cached = _table_from_json(read_json(path, "look-alike"))
        if cached is not None:
            return cached
    table = _build_look_alikes(json.loads(source.read_text("utf-8")))
    if path is not None:
        write_json(path, {str(code): latin for code, latin in table.items()}, "look-alike")
    return table


def _data_file() -> Traversable:
    """confusable_homoglyphs' data file, found on disk without importing the package or
    importlib.resources (12 ms of an analysing command's start-up, for a path); through
    importlib.resources when the package is not a folder (a zip, say)."""
    spec = find_spec("confusable_homoglyphs")
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "confusables.json"
        if path.is_file():
            return path
    from importlib import resources

    return resources.files("confusable_homoglyphs").joinpath("confusables.json")


def _look_alikes_key(source: Path) -> str | None:
    """The data file, this module and ``nlp.letters`` (the foldings it compares) as found on
    disk, and the Unicode version: what a build reads. None when a file cannot be read."""
    from nlp import letters
    from nlp.disk_cache import cache_key, file_stamp

    stamps = [file_stamp(source), file_stamp(Path(__file__)), file_stamp(Path(letters.__file__))]
    if None in stamps:
        return None
    return cache_key([_LOOK_ALIKES_VERSION, unicodedata.unidata_version, *stamps])


def _table_from_json(data: object) -> dict[int, str] | None:
    """A cached table as written, or None for anything else (the table is then built)."""
    if not isinstance(data, dict) or not data:
        return None
    table: dict[int, str] = {}
    for code, latin in data.items():
        if not (isinstance(code, str) and code.isdigit() and isinstance(latin, str)):
            return None
        if len(latin) != 1 or not 0x80 <= int(code) <= 0x10FFFF:
            return None
        table[int(code)] = latin
    return table


def _build_look_alikes(data: dict[str, list[dict[str, str]]]) -> dict[int, str]:
    """Look-alike letters of other scripts -> the lowercase ASCII letter or digit they imitate.

    Built from the confusables data that ships with confusable_homoglyphs (Unicode's
    confusables.txt as JSON); only letters and digits whose own folding is not already an
    ASCII letter or digit, so Vietnamese letters keep their usual folding.
    """
    pairs: dict[str, set[str]] = {}  # the data lists each pair under both of its characters
    for target in string.ascii_letters + string.digits:
        for entry in data.get(target, ()):
            if len(entry["c"]) == 1:
                pairs.setdefault(entry["c"], set()).add(target)
    table: dict[int, str] = {}
    for source, targets in pairs.items():
        if source.isascii() or unicodedata.combining(source):
            continue
        if unicodedata.category(source)[0] not in "LN" or _is_ascii_alnum(base_fold(source)):
            continue
        table[ord(source)] = _best_target(source, targets).lower()
    for source, targets in pairs.items():  # small capitals: 'н' written for 'ʜ', 'т' for 'ᴛ'
        lower = source.lower()
        if not source.isupper() or len(lower) != 1 or ord(lower) in table:
            continue
        capitals = {t for t in targets if t.isupper()}
        if capitals and not lower.isascii() and not _is_ascii_alnum(base_fold(lower)):
            table[ord(lower)] = _best_target(source, capitals).lower()
    for code in range(0x80, 0x2000):  # with marks: Greek 'ά' reads as 'á', 'ᾶ' as 'a'
        char = chr(code)
        base, *marks = unicodedata.normalize("NFD", char)
        if marks and code not in table and ord(base) in table:
            latin = unicodedata.normalize("NFC", table[ord(base)] + "".join(marks))
            table[code] = latin if len(latin) == 1 else table[ord(base)]
        elif char.isupper() and code not in table and ord(char.lower()[0]) in table:
            table[code] = table[ord(char.lower()[0])]  # 'Ԁ' as its small 'ԁ'
    return table


def _char_class(codes: list[int]) -> str:
    """A pattern for any of the characters; beyond plane 0, for nearby ones too.

    ``re`` tests a class of plane-0 characters with a bitmap, but other members one after
    another: the mathematical letters go in as a few ranges over their blocks (the exact
    test is the table lookup that follows), which keeps the search as fast as plane 0 alone.
    """
    plane0 = "".join(re.escape(chr(code)) for code in codes if code <= 0xFFFF)
    ranges: list[list[int]] = []
    for code in (c for c in codes if c > 0xFFFF):
        if ranges and code - ranges[-1][1] <= 32:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    astral = "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges)
    return f"[{plane0}{astral}]"


def _is_ascii_alnum(char: str) -> bool:
    return len(char) == 1 and char.isascii() and char.isalnum()


def _best_target(source: str, targets: set[str]) -> str:
    """Cyrillic 'І' looks like 'I' and 'l'; its name, its case and its kind decide."""
    name = unicodedata.name(source, "").split()
    hint = name[-1].lower() if name else ""
    if _is_ascii_alnum(hint) and (hint in targets or hint.upper() in targets or "LATIN" in name):
        return hint
    digit = unicodedata.category(source) == "Nd"

    def rank(target: str) -> tuple[bool, bool, str]:
        same_case = target.isupper() == source.isupper()
        return (target.isdigit() != digit, not same_case, target)

    best = min(targets, key=rank)
    return "i" if best == "l" and source.isupper() else best


def unmask_word(word: str) -> str:
    """A word holding look-alikes, written in Latin letters unless it is truly foreign.

    A word with a letter of another script that imitates nothing ('щ', 'λ') is Russian or
    Greek text and stays as it is; 'Hồі' (Cyrillic і) or 'ѕтк' becomes Latin.
    """
    table = confusables()[0]
    for char in word:
        if char.isalpha() and ord(char) not in table and not _latin(char):
            return word
    latin = word.translate(table)
    return word if latin == word else latin


@cache
def _latin(char: str) -> bool:
    return base_fold(char).isascii() or unicodedata.name(char, "").startswith("LATIN")


def unmask_confusables(text: str) -> str:
    """Look-alike letters replaced one for one (offsets do not move)."""
    _, any_look_alike, words = confusables()
    if any_look_alike.search(text) is None:
        return text
    return words.sub(_unmask_match, text)


def _unmask_match(match: re.Match[str]) -> str:
    return unmask_word(match.group())


def unmask(text: str) -> str:
    """The text with evasion undone but diacritics and case kept, for comparing surfaces.

    Look-alike letters become Latin, zero-width characters and soft hyphens go, full-width
    forms become ASCII.
    """
    if text.isascii():
        return text
    return unmask_confusables(text).translate(_unmask_table())


@cache
def _unmask_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): None for c in ZERO_WIDTH + SOFT_HYPHEN}
    table.update({code: chr(code - 0xFEE0) for code in FULL_WIDTH})
    return table
