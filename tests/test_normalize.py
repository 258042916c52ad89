"""Folding: the translate-table folding against the per-character folding it replaced, and
the folding of text written to slip past the rules (zero-width characters, soft hyphens,
look-alike letters, full-width forms, spaced-out letters)."""

from __future__ import annotations

import csv
import html
import json
import random
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.wiring import ruleset
from nlp.analyzer import Analyzer
from nlp.normalize import FoldedText, fold, fold_char, fold_with_offsets, has_diacritics
from tests.helpers import ROOT

# --- The folding as it was before (nlp/normalize.py at f924a1c), kept as the reference ---

_OLD_SPECIAL = {"đ": "d", "Đ": "d", "ð": "d", "ı": "i"}
_OLD_MARKUP = re.compile(r"<[a-zA-Z/!][^<>]{0,500}>|&#?[a-zA-Z0-9]{1,10};")


def old_fold_char(char: str) -> str:
    special = _OLD_SPECIAL.get(char)
    if special is not None:
        return special
    if unicodedata.combining(char):
        return ""
    base = unicodedata.normalize("NFD", char)[0]
    lowered = base.lower()
    return lowered[0] if lowered else base


def old_fold(text: str) -> str:
    return "".join(old_fold_char(c) for c in text)


def old_fold_with_offsets(text: str) -> tuple[str, tuple[int, ...]]:
    chars: list[str] = []
    origin: list[int] = []

    def put(folded: str, index: int) -> None:
        if folded.isspace():
            if chars and chars[-1] == " ":
                return
            folded = " "
        chars.append(folded)
        origin.append(index)

    def plain(start: int, end: int) -> None:
        for index in range(start, end):
            folded = old_fold_char(text[index])
            if folded:
                put(folded, index)

    cursor = 0
    for markup in _OLD_MARKUP.finditer(text):
        plain(cursor, markup.start())
        token = markup.group()
        if token.startswith("<"):
            put(" ", markup.start())
        else:
            for char in html.unescape(token):
                folded = old_fold_char(char)
                if folded:
                    put(folded, markup.start())
        cursor = markup.end()
    plain(cursor, len(text))
    return "".join(chars), tuple(origin)


# --- Generated and real texts ---

_WORDS = (  # noqa: SIM905 (a readable word list)
    "Ngọc Hồi Đắk Tô tin đồn lừa đảo người dân xôn xao thông tin sai sự thật chuyển khoản "
    "trước huyện tỉnh Kon Tum Plei Kần Bờ Y chính quyền khẳng định cảnh báo khẩn cấp ĐỒNG "
    "THUẬN ủy ban nhân dân TP.HCM Đ/c 500k STK 0123456789 https://bit.ly/abc ô tô"
).split()
_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_TAGS = ("<p>", "</p>", "<br/>", '<a href="x">', "</a>", "<!-- c -->", "<b>")
_ENTITIES = ("&nbsp;", "&amp;", "&#7885;", "&#x1EA1;", "&quot;", "&#769;", "&lt;")
_SPACES = (" ", "  ", "\n", "\n\n", "\t", " \u00a0 ", "\r\n", "\u3000")
_EMOJI = ("😀", "👍🏽", "🇻🇳", "❤️")  # with a skin tone, a flag, a variation selector
_ZERO_WIDTH = ("&zwnj;", "👨\u200d👩\u200d👧", "\u200b", "\u00ad")  # in one text of four


def _syllable(rng: random.Random) -> str:
    vowel = unicodedata.normalize("NFC", rng.choice(_VOWELS) + rng.choice(_TONES))
    word = rng.choice(("ng", "th", "tr", "đ", "Đ", "kh", "h", "l", "m")) + vowel
    return word + rng.choice(("", "n", "c", "t", "ng", "nh"))


def generated_texts(count: int, seed: int = 5) -> Iterator[str]:
    """Vietnamese words (NFC and NFD), markup, entities, whitespace runs and emoji, mixed."""
    rng = random.Random(seed)
    for _ in range(count):
        zero_width = rng.random() < 0.25
        parts: list[str] = []
        for _ in range(rng.randint(1, 60)):
            roll = rng.random()
            if roll < 0.45:
                word = rng.choice(_WORDS) if rng.random() < 0.5 else _syllable(rng)
                if rng.random() < 0.2:
                    word = unicodedata.normalize("NFD", word)
                if rng.random() < 0.1:
                    word = word.upper()
                parts.append(word)
            elif roll < 0.6:
                parts.append(rng.choice(_TAGS))
            elif roll < 0.7:
                parts.append(rng.choice(_ENTITIES))
            elif roll < 0.75:
                parts.append(rng.choice(_EMOJI))
            elif roll < 0.8:
                parts.append(rng.choice(".,;:!?()-\"'"))
            elif roll < 0.83 and zero_width:
                parts.append(rng.choice(_ZERO_WIDTH))
            parts.append(rng.choice(_SPACES) if rng.random() < 0.7 else " ")
        yield "".join(parts)


def _corpora() -> Path | None:
    for root in (ROOT.parent, ROOT.parent.parent):
        if (root / "shared" / "corpora").is_dir():
            return root / "shared" / "corpora"
    return None


def corpus_texts() -> list[str]:
    corpora = _corpora()
    if corpora is None:
        return []
    texts: list[str] = []
    for path in sorted((corpora / "vfnd").glob("Dataset/*/*/*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        texts += [v for v in record.values() if isinstance(v, str) and v.strip()]
    victsd = sorted((corpora / "victsd").rglob("*.csv"))
    for path in victsd:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                texts += [row.get("Comment") or "", row.get("Title") or ""]
    for path in sorted((corpora / "rss-vnexpress").rglob("*")):
        if path.is_file() and path.suffix in (".xml", ".rss", ".txt"):
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return [t for t in texts if t]


_EVASION_CHARS = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\uff01-\uff5e"  # zero-width, soft hyphen, full width
    "\u0370-\u03ff\u0400-\u052f\U0001d400-\U0001d7ff]"  # Greek, Cyrillic, math letters
)
_SPACED = re.compile(r"(?<!\w)\w(?: \w){2,}(?!\w)")


def looks_evasive(text: str) -> bool:
    """What the evasion folding is meant to change, told independently of its code."""
    text = html.unescape(text)
    if _EVASION_CHARS.search(text) or _SPACED.search(old_fold(text)):
        return True
    exotic = {c for c in old_fold(text) if not c.isascii() and c.isalpha()}
    return any(unicodedata.name(c, "").startswith("LATIN") for c in exotic)  # 'ᴛ', 'ɗ'


def assert_same_as_old(text: str, new: Callable[[str], FoldedText]) -> None:
    folded, origin = old_fold_with_offsets(text)
    result = new(text)
    assert result.folded == folded, text
    assert tuple(result.origin) == origin, text
    assert [result.origin[i] for i in range(len(origin))] == list(origin), text


# --- The new folding is the old one on ordinary text ---


def test_generated_texts_fold_as_before() -> None:
    compared = 0
    for text in generated_texts(1500):
        assert_same_as_old(text, lambda t: fold_with_offsets(t, evasion=False))
        assert fold(text) == old_fold(text) or looks_evasive(text), text
        if not looks_evasive(text):
            assert_same_as_old(text, fold_with_offsets)
            compared += 1
    assert compared > 1000


def test_corpora_texts_fold_as_before() -> None:
    texts = corpus_texts()
    if not texts:
        pytest.skip("shared corpora not present (../shared/corpora)")
    evasive = 0
    for text in texts:
        assert_same_as_old(text, lambda t: fold_with_offsets(t, evasion=False))
        if looks_evasive(text):
            evasive += 1
        else:
            assert_same_as_old(text, fold_with_offsets)
    assert evasive < len(texts) // 2


def test_characters_fold_as_before() -> None:
    """Every character folds as before, except the evasion ones, which only go to ASCII."""
    ascii_alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
    changed = 0
    for code in [*range(0x3100), *range(0xFF00, 0x10000), *range(0x1D400, 0x1D800)]:
        char = chr(code)
        if unicodedata.category(char) == "Cs":
            continue
        new, expected = fold_char(char), old_fold_char(char)
        if new == expected:
            continue
        changed += 1
        if char in "\u200b\u200c\u200d\u2060\ufeff\u00ad":
            assert new == "", hex(code)
        elif 0xFF01 <= code <= 0xFF5E:
            assert new == chr(code - 0xFEE0).lower(), hex(code)
        else:
            assert new in ascii_alnum and expected not in ascii_alnum, hex(code)
            assert unicodedata.category(char)[0] in "LN", hex(code)
    assert 100 < changed < 3000


def test_spans_and_origin_of_a_changed_text() -> None:
    text = "<p>Tin\u00a0&nbsp; đo\u0302\u0300n</p>\n\n ở Ngọc Hồi"
    result = fold_with_offsets(text)
    assert result.folded == " tin don o ngoc hoi"
    start = result.folded.index("don")
    assert text[slice(*result.span(start, start + 3))] == "đo\u0302\u0300n"
    assert result.origin[-1] == len(text) - 1
    assert result.origin[1:4] == [3, 4, 5]
    with pytest.raises(IndexError):
        result.origin[len(result.folded)]


# --- Evasion ---


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(ruleset(load_config(ROOT / "config.yaml")))


@pytest.mark.parametrize(
    "text",
    [
        "Ngọc\u200bHồi",
        "Ngọc Hồі",  # Cyrillic і
        "Ngọc Hồ\u200ci",
        "Ngọc H\u00adồi",
        "Ngọc Ηồi",  # Greek capital eta
        "Ngọc Hồ\u2060і\ufeff",
        "ＮＧỌＣ ＨỒＩ",
        "N g ọ c   H ồ i",
        "Ngọс Hồі",  # Cyrillic с and і
    ],
)
def test_evasive_spellings_fold_to_the_plain_name(text: str) -> None:
    assert fold_with_offsets(text).folded == "ngoc hoi"


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("lừa đ\u00adảo", "lua dao"),
        ("lừ\u200ba đảo", "lua dao"),
        ("ＬỪＡ ĐẢＯ", "lua dao"),
        ("l ừ a   đ ả o", "lua dao"),
        ("t i n   đ ồ n", "tin don"),
        ("mã O T P", "ma otp"),
        ("сhuуển khоản trướс", "chuyen khoan truoc"),  # Cyrillic с, у, о
        ("gιả dαnh", "gia danh"),  # Greek iota and alpha
    ],
)
def test_evasive_keywords_fold_to_the_plain_keyword(text: str, keyword: str) -> None:
    assert fold_with_offsets(text).folded == keyword
    assert fold(text).split() == keyword.split() or " " in text


def test_evasive_text_is_flagged_with_offsets_into_what_was_written(analyzer: Analyzer) -> None:
    plain = analyzer.analyze("Cảnh báo lừa đảo ở huyện Ngọc Hồi, chuyển khoản trước.")
    text = "Cảnh báo l ừ a   đ ả o  ở huyện Ngọc\u200bHồі, сhuуển khоản trướс."
    evasive = analyzer.analyze(text)
    assert evasive.flagged and plain.flagged
    assert [m["rule"] for m in evasive.matches] == [m["rule"] for m in plain.matches]
    assert [loc["unit"] for loc in evasive.localities] == [loc["unit"] for loc in plain.localities]
    surfaces = [text[m["start"] : m["end"]] for m in evasive.matches]
    assert surfaces == [m["surface"] for m in evasive.matches]
    assert "l ừ a   đ ả o" in surfaces and "сhuуển khоản trướс" in surfaces
    place = evasive.localities[0]
    assert text[place["start"] : place["end"]] == "huyện Ngọc\u200bHồі"


def test_a_differently_accented_lookalike_still_does_not_match(analyzer: Analyzer) -> None:
    result = analyzer.analyze("Giá lúа đào tăng ở huyện Ngọc Hồi.")  # Cyrillic а in lúа
    assert not any(m["category"] == "scam" for m in result.matches)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đ/c Hùng ở a, b, c", "d/c hung o a, b, c"),
        ("ô tô ở bãi", "o to o bai"),
        ("em k biết", "em k biet"),
        ("điểm a  b  c", "diem a b c"),
        ("A B\nC", "a b c"),
        ("số 1 2 3 4", "so 1 2 3 4"),
        ("v.v. và T.Ư", "v.v. va t.u"),
        ("Привет, друзья из Афин", "привет, друзья из афин"),
        ("λόγος", "λογος"),
        ("30°C, 3×4 m²", "30°c, 3×4 m²"),
    ],
)
def test_ordinary_text_is_left_as_it_was(text: str, folded: str) -> None:
    assert fold_with_offsets(text).folded == folded


def test_single_letter_words_make_no_false_matches(analyzer: Analyzer) -> None:
    text = (
        "Đ/c Hùng ở a b c xóm Đ, ô tô biển 82A về huyện Ngọc Hồi; ừ à ờ, các mục a b c "
        "và phương án x y z đã được UBND huyện thông qua, ở Đ/c Lan cũng vậy."
    )
    result = analyzer.analyze(text)
    assert result.matches == [] and not result.flagged
    assert [text[loc["start"] : loc["end"]] for loc in result.localities] == ["huyện Ngọc Hồi"]


def test_has_diacritics_ignores_evasion() -> None:
    assert not has_diacritics("Ngoc Hоi")  # Cyrillic о, no accent
    assert has_diacritics("Ngọc Hồі")
    assert not has_diacritics("lua\u200b dao")
