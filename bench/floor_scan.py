"""The floor of analyze-text as a whole process: read JSON lines, fold, scan, write JSON lines.

One ``str.translate`` with a table made from unicodedata, one Aho-Corasick automaton of the
keywords and place names given in a JSON file, one output line per input line. Nothing a
real analysis can skip; everything it adds (offsets, word boundaries, context rules, NER,
scoring) is above this floor.

``--codec`` folds as press-monitor's one pass does since its seventh round, with a charmap
codec of the 241 characters Vietnamese text is mostly made of (a text holding any other is
translated), and ``--daachorse`` scans with the automaton press-monitor uses since its
eighth: the floors a reader may ask for once the analysis folds and scans that way.

    python bench/floor_scan.py [--codec] [--daachorse] KEYWORDS.json < items.jsonl > out.jsonl
"""

from __future__ import annotations

import codecs
import json
import sys
import unicodedata
from collections.abc import Callable

import ahocorasick


def fold_table() -> dict[int, str | None]:
    """Latin-1, Latin Extended-A/B and Vietnamese letters to lowercase ASCII, marks removed."""
    table: dict[int, str | None] = {}
    for low, high in ((0, 0x250), (0x300, 0x370), (0x1E00, 0x1F00)):
        for code in range(low, high):
            char = chr(code)
            if unicodedata.combining(char):
                table[code] = None
            else:
                table[code] = unicodedata.normalize("NFD", char)[0].lower()[:1] or char
    table[ord("đ")] = table[ord("Đ")] = "d"
    return table


def codec_fold(table: dict[int, str | None]) -> Callable[[str], str]:
    """``str.translate(table)`` through a charmap codec: ASCII, the Vietnamese letters in both
    cases and the common quotes and dashes encoded in C, and decoded to their foldings."""
    letters = ["đ", "Đ"]
    for shape in "aăâeêioôơuưy":
        for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            letter = unicodedata.normalize("NFC", shape + tone)
            letters += [letter, letter.upper()]
    chars = "\x00\t\n\r" + "".join(map(chr, range(0x20, 0x7F))) + "“”‘’–—…\u00a0"
    chars = "".join(dict.fromkeys(chars + "".join(letters)))
    chars += "\ufffe" * (256 - len(chars))  # U+FFFE: no character
    encoding = codecs.charmap_build(chars)
    folded = "".join(table.get(ord(c)) or c for c in chars)
    question = bytes([chars.index("?")])

    def fold(text: str) -> str:
        codes = codecs.charmap_encode(text, "replace", encoding)[0]
        if codes.count(question) != text.count("?"):  # a character outside the map
            return text.translate(table)
        return codecs.charmap_decode(codes, "strict", folded)[0]

    return fold


def pyahocorasick_scan(keywords: list[str]) -> Callable[[str], list[str]]:
    automaton = ahocorasick.Automaton()
    for keyword in keywords:
        automaton.add_word(keyword, keyword)
    automaton.make_automaton()
    return lambda folded: [keyword for _end, keyword in automaton.iter(folded)]


def daachorse_scan(keywords: list[str]) -> Callable[[str], list[str]]:
    """The automaton press-monitor scans with since its eighth round, over UTF-8 bytes."""
    import daachorse

    find = daachorse.DoubleArrayAhoCorasick(
        [keyword.encode() for keyword in keywords], use_prefilter=True
    ).find_overlapping
    return lambda folded: [keywords[found] for _s, _e, found in find(folded.encode())]


def main() -> None:
    args = sys.argv[1:]
    keywords = list(dict.fromkeys(json.loads(open(args[-1], encoding="utf-8").read())))  # noqa: SIM115
    scan = daachorse_scan(keywords) if "--daachorse" in args else pyahocorasick_scan(keywords)
    table = fold_table()
    fold = codec_fold(table) if "--codec" in args else lambda text: text.translate(table)
    out = sys.stdout
    for line in sys.stdin:
        record = json.loads(line)
        hits = scan(fold(f"{record.get('title') or ''}\n|\n{record['text']}"))
        out.write(json.dumps({"id": record.get("id"), "hits": hits}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
