"""The analysis's fast paths give the plain definitions' answers: the share of accented
letters counted on UTF-8 bytes, and folded spans mapped to the original in one look-up."""

from __future__ import annotations

import random
import re
import unicodedata

from nlp.matcher import ACCENTED_SHARE, typed_with_diacritics
from nlp.normalize import fold_with_offsets

_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")
_ASCII = re.compile("[A-Za-z]")

# Vietnamese letters both composed and decomposed, the edges of the counted ranges, IPA just
# past them, other scripts, marks, emoji and a lone surrogate (as a JSON escape decodes).
_PIECES = [
    *"Người dân xã Bờ Y phản ánh tin đồn lừa đảo chuyển khoản",
    *"nguoi dan o ngoc hoi kon tum",
    "\u00bf",
    "\u00c0",
    "\u00d7",
    "\u00ff",
    "\u0100",
    "\u023f",
    "\u0240",
    "\u024f",
    "\u0250",
    "\u1dff",
    "\u1e00",
    "\u1eff",
    "\u1f00",
    "\u0301",
    "\u0323",
    "Ж",
    "中",
    "😀",
    "\ud83d",
    " ",
    "\n",
    "1",
    ".",
]


def _texts(count: int) -> list[str]:
    rng = random.Random(15)
    texts = ["", "abc", "Ngọc Hồi", unicodedata.normalize("NFD", "Ngọc Hồi, Kon Tum")]
    for _ in range(count):
        texts.append("".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 80))))
    return texts


def _by_definition(text: str) -> bool:
    accented = len(_ACCENTED.findall(text))
    if not accented:
        return False
    return accented / (accented + len(_ASCII.findall(text))) >= ACCENTED_SHARE


def test_the_accented_share_is_the_regex_definition() -> None:
    texts = _texts(3000)
    answers = [typed_with_diacritics(t) for t in texts]
    assert answers == [_by_definition(t) for t in texts]
    assert 100 < sum(answers) < len(texts) - 100  # both answers are exercised


def test_folded_spans_map_as_the_offsets_do() -> None:
    texts = [
        "<p>Tin\u00a0&nbsp; đo\u0302\u0300n</p>\n\n ở Ngọc Hồi",
        "Cảnh báo:   lừa\u200bđảo &amp; giả danh <b>công an</b> ở  Bờ Y",
        unicodedata.normalize("NFD", "Người dân xã Dục Nông phản ánh"),
        *_texts(200),
    ]
    checked = 0
    for text in texts:
        folded = fold_with_offsets(text)
        origin = list(folded.origin)
        for start in range(len(origin)):
            for end in range(start + 1, min(len(origin), start + 12) + 1):
                o_start, o_end = origin[start], origin[end - 1] + 1
                while o_end < len(text) and unicodedata.combining(text[o_end]):
                    o_end += 1
                assert folded.span(start, end) == (o_start, o_end), (text, start, end)
                checked += 1
    assert checked > 10_000
