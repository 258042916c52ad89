"""The floor of analyze-text as a whole process: read JSON lines, fold, scan, write JSON lines.

One ``str.translate`` with a table made from unicodedata, one Aho-Corasick automaton of the
keywords and place names given in a JSON file, one output line per input line. Nothing a
real analysis can skip; everything it adds (offsets, word boundaries, context rules, NER,
scoring) is above this floor.

    python bench/floor_scan.py KEYWORDS.json < items.jsonl > out.jsonl
"""

from __future__ import annotations

import json
import sys
import unicodedata

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


def main() -> None:
    automaton = ahocorasick.Automaton()
    for keyword in json.loads(open(sys.argv[1], encoding="utf-8").read()):  # noqa: SIM115
        automaton.add_word(keyword, keyword)
    automaton.make_automaton()
    table = fold_table()
    out = sys.stdout
    for line in sys.stdin:
        record = json.loads(line)
        folded = f"{record.get('title') or ''}\n|\n{record['text']}".translate(table)
        hits = [keyword for _end, keyword in automaton.iter(folded)]
        out.write(json.dumps({"id": record.get("id"), "hits": hits}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
