"""Named-entity confirmation of ambiguous place mentions, with underthesea.

NER is slow on long texts (worse than linear) and about 15 ms per sentence, so it runs only
on the sentence around a mention that the context rules accepted but that could be
something else: "chị Ngọc Hồi" is a person. It vetoes a mention tagged as a person unless
an institution or unit word stands right before it ("Trường THCS Ngọc Hồi", which the
model also tends to tag as a person).
"""

from __future__ import annotations

import re
from functools import lru_cache

from nlp.normalize import fold

_SENTENCE_END = re.compile(r"[.!?…\n]")
# underthesea encodes what it reads as UTF-8, which a lone surrogate (a JSON "\ud83d" escape
# without its pair) cannot be: it is read as U+FFFD, one character for one, so offsets hold.
_SURROGATE = re.compile("[\ud800-\udfff]")
_INSTITUTION_WORDS = {
    "truong",
    "cho",
    "benh vien",
    "ubnd",
    "cong an",
    "huyen",
    "xa",
    "thi tran",
    "tinh",
    "phong",
    "trung tam",
    "ban",
    "doi",
    "cua khau",
    "bao",
    "dai",
    "dien luc",
    "toa an",
}


def sentence_around(text: str, start: int, end: int) -> tuple[int, str]:
    """The sentence holding [start, end): its offset in ``text`` and its text."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE_END.search(text, end)
    right = right_match.start() + 1 if right_match else len(text)
    return left, text[left:right]


@lru_cache(maxsize=4096)
def _tags(sentence: str) -> tuple[tuple[str, str], ...]:
    from underthesea import ner

    return tuple((token, tag) for token, _pos, _chunk, tag in ner(sentence))


def is_person(text: str, start: int, end: int) -> bool:
    """True when NER tags the mention at [start, end) as a person's name."""
    offset, sentence = sentence_around(text, start, end)
    sentence = _SURROGATE.sub("\ufffd", sentence)
    if _preceded_by_institution(sentence, start - offset):
        return False
    cursor = 0
    for token, tag in _tags(sentence):
        found = sentence.find(token, cursor)
        if found < 0:
            continue
        token_start, token_end = offset + found, offset + found + len(token)
        cursor = found + len(token)
        if token_end > start and token_start < end and tag.endswith("PER"):
            return True
    return False


def _preceded_by_institution(sentence: str, position: int) -> bool:
    before = fold(sentence[:position]).split()
    return any(" ".join(before[-n:]) in _INSTITUTION_WORDS for n in (1, 2) if len(before) >= n)
