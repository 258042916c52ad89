"""The analysis's fast paths give the plain definitions' answers: the share of accented
letters counted on UTF-8 bytes, folded spans mapped to the original in one look-up, the word
view and its boundaries, phrase matching in the word view against the per-hit checks it
replaced (in the word view and in the marked view), the folding of plain text in one pass
against the piece-by-piece folding, and queries pre-selected by their necessary terms
against evaluating them all."""

from __future__ import annotations

import codecs
import random
import re
import unicodedata

import ahocorasick

from nlp.matcher import Hit, PhraseMatcher, _Automaton, same_word
from nlp.normalize import (
    _FOREIGN,
    ACCENTED_SHARE,
    FoldedText,
    _has_foreign_letter,
    fold,
    fold_with_offsets,
    typed_with_diacritics,
    word_view,
)
from nlp.query import MAX_OCCURRENCES, CompiledQueries, Occurrence, _evaluate

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


def _joined(pieces: list[str], count: int, longest: int, seed: int) -> list[str]:
    """``count`` texts of 1 to ``longest`` pieces drawn at random (the same for a seed)."""
    rng = random.Random(seed)
    return [
        "".join(rng.choice(pieces) for _ in range(rng.randint(1, longest))) for _ in range(count)
    ]


def _texts(count: int) -> list[str]:
    fixed = ["", "abc", "Ngọc Hồi", unicodedata.normalize("NFD", "Ngọc Hồi, Kon Tum")]
    return fixed + _joined(_PIECES, count, 80, seed=15)


def _by_definition(text: str) -> bool:
    accented = len(_ACCENTED.findall(text))
    if not accented:
        return False
    return accented / (accented + len(_ASCII.findall(text))) >= ACCENTED_SHARE


def _near_the_share() -> list[str]:
    """Texts whose accented share lies on both sides of ACCENTED_SHARE: two- and three-byte
    accented letters among ASCII letters, spaces, digits and other non-ASCII characters."""
    rng = random.Random(4)
    texts = []
    for _ in range(2000):
        letters = rng.randint(20, 400)
        accented = rng.randint(0, max(1, letters // 12))
        pieces = rng.choices("abcdef ", k=letters)
        pieces += rng.choices(["á", "đ", "ư", "ạ", "ế", "“", "中", "😀", "1"], k=accented)
        rng.shuffle(pieces)
        texts.append("".join(pieces))
    return texts


def test_the_accented_share_is_the_regex_definition() -> None:
    texts = _texts(3000) + _near_the_share()
    answers = [typed_with_diacritics(t) for t in texts]
    assert answers == [_by_definition(t) for t in texts]
    assert 100 < sum(answers) < len(texts) - 100  # both answers are exercised


def test_folded_spans_map_as_the_offsets_do() -> None:
    texts = [
        "<p>Tin\u00a0&nbsp; đo\u0302\u0300n</p>\n\n ở Ngọc Hồi",
        "Cảnh báo:   lừa\u200bđảo &amp; giả danh <b>công an</b> ở  Bờ Y",
        "l ừ a   đ ả o&#769; qua\u0301 &NotEqualTilde; x\u00ad\u0323y <i>z</i>\u0301",
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
                assert folded.surface(start, end) == text[o_start:o_end], (text, start, end)
                checked += 1
    assert checked > 10_000


# Words and marks that make boundaries hard: punctuation inside phrases, prefixes, letters of
# other scripts and non-ASCII digits next to words, genuine question marks, hyphens.
_MATCH_PIECES = [
    "covid",
    "covid-19",
    "ab",
    "ab.c",
    "TP",
    "lừa đảo",
    "lua dao",
    "lúa đào",
    "công an",
    "cong-an",
    "an",
    "ăn",
    "chuyển",
    "chuyenkhoan",
    "ck",
    "+84",
    "zalo.me",
    "điện thoại",
    "dien-thoai",
    "Ngọc Hồi",
    "Жan",
    "an²",
    "٣an",
    "中",
    "?",
    "“",
    "”",
    "…",
    "😀",
    "_",
    "-",
    ".",
    " ",
    " ",
    " ",
    "\n",
    "\u200b",
]
_PHRASES = [
    "lừa đảo",
    "lua dao",
    "công an",
    "an",
    "ăn",
    "chuyển*",
    "chuyen*",
    "ck",
    "+84",
    "zalo.me",
    "điện thoại",
    "Ngọc Hồi",
    "Жan",
    "an²",
    "中",
    "covid-*",
    "ab.*",
    "tp.*",
]


def _match_texts(count: int) -> list[str]:
    return _joined(_MATCH_PIECES, count, 30, seed=42)


def test_the_word_view_blanks_exactly_what_is_not_alphanumeric() -> None:
    for text in _texts(1000) + _match_texts(1000):
        folded = fold_with_offsets(text).folded
        view = word_view(folded)
        expected = "".join(c if c.isascii() and c.isalnum() else " " for c in folded)
        assert view.text == f" {expected} ", text
        assert view.exact == (not any(c.isalnum() and not c.isascii() for c in folded)), text
        assert _has_foreign_letter(folded) == bool(_FOREIGN.search(folded)), text


def _per_hit_find(
    phrases: list[str], text: FoldedText, accented: bool | None = None
) -> list[Hit[str]]:
    """Phrase matching as it was before the word view: the automaton over the folded text,
    word boundaries checked hit by hit (kept here as the definition)."""
    automaton = ahocorasick.Automaton()
    entries: dict[str, list[tuple[str, bool, str]]] = {}
    for phrase in phrases:
        prefix = phrase.endswith("*")
        spelled = phrase.rstrip("*").strip() if prefix else phrase
        key = " ".join(fold(spelled).split())
        entries.setdefault(key, []).append((spelled, prefix, phrase))
    for key, values in entries.items():
        automaton.add_word(key, (len(key), values))
    automaton.make_automaton()
    folded, hits = text.folded, []
    for end_index, (length, values) in automaton.iter(folded):
        start, end = end_index - length + 1, end_index + 1
        if start > 0 and folded[start - 1].isalnum():
            continue
        whole_word = end >= len(folded) or not folded[end].isalnum()
        for phrase, prefix, payload in values:
            if not (whole_word or prefix):
                continue
            stop = end if whole_word else re.compile(r"\w*").match(folded, end).end()
            o_start, o_end = text.span(start, stop)
            surface = text.original[o_start:o_end]
            checked = surface if stop == end else text.original[slice(*text.span(start, end))]
            if same_word(phrase, checked, text.accented if accented is None else accented):
                hits.append(Hit(payload, phrase, surface, o_start, o_end, start, stop))
    return hits


def _key(hit: Hit[str]) -> tuple[object, ...]:
    return (hit.folded_start, hit.folded_end, hit.start, hit.end, hit.payload, hit.phrase)


def test_matching_in_the_word_view_finds_what_per_hit_checks_find() -> None:
    matcher: PhraseMatcher[str] = PhraseMatcher((p, p) for p in _PHRASES)
    found = 0
    # texts ending in a prefix key's letters: its view word meets the view's last space
    for text in [*_match_texts(3000), "ab", "Tin mới về covid", "lừa đảo ở TP", "covid-"]:
        folded = fold_with_offsets(text)
        expected = sorted(map(_key, _per_hit_find(_PHRASES, folded)))
        assert sorted(map(_key, matcher.find(folded))) == expected, text
        found += len(expected)
    assert found > 5000  # the texts exercise the matcher


_QUERIES = [
    '"lừa đảo" NEAR/3 "công an"',
    '("chuyển*" OR ck) AND NOT "zalo.me"',
    '(NOT "Ngọc Hồi" OR an) AND "điện thoại"',
    '"+84" OR (ăn NEAR/0 an)',
    '(("lua dao" AND ck) OR "Жan") NEAR/5 ("an²" OR 中)',
    'NOT "công an" AND "lừa đảo"',
]


def _original_occurrences(
    hits: list[tuple[int, int, int, int, int]], folded: str
) -> dict[int, tuple[Occurrence, ...]]:
    """Occurrences with original spans, made from every hit (the evaluation as it was)."""
    out: dict[int, list[Occurrence]] = {}
    for f_start, f_end, o_start, o_end, tid in hits:
        words = folded.count(" ", 0, f_start)
        last = words + folded.count(" ", f_start, f_end)
        found = out.setdefault(tid, [])
        if len(found) < MAX_OCCURRENCES:
            found.append(Occurrence(words, last, ((o_start, o_end),)))
    return {tid: tuple(occs) for tid, occs in out.items()}


def test_queries_preselected_by_their_terms_hold_as_when_all_are_evaluated() -> None:
    compiled = CompiledQueries(_QUERIES)
    matcher = compiled._matcher
    held = 0
    for text in _match_texts(3000):
        folded = fold_with_offsets(text)
        hits = sorted(
            (h.folded_start, h.folded_end, h.start, h.end, h.payload) for h in matcher.find(folded)
        )
        expected = []
        if hits:
            occurrences = _original_occurrences(hits, folded.folded)
            for index, plan in enumerate(compiled._plans):
                holds, occs = _evaluate(plan, occurrences)
                if holds and occs:
                    expected.append((index, tuple(sorted({s for o in occs for s in o.spans}))))
        got = [(hit.index, hit.spans) for hit in compiled.find(folded)]
        assert got == expected, text
        held += len(expected)
    assert held > 1000


_PATTERNS = [
    r"(?:stk|so tai khoan|tai khoan)\s*:?\s*\d[\d .-]{6,18}\d",
    r"(?:chuyen khoan|chuyen tien|nap tien)[^\n.]{0,80}(?:0|\+84)\d{9}\b",
    r"https?://(?:bit\.ly|tinyurl\.com)/\S{0,200}|https?://[a-z0-9.-]{1,253}\.(?:xyz|top|click)\b",
    r"\bzalo\b(?=\s)",
    r"(?<!x)ab(?:c|cd|)e",
    r"(ab|ac)+d",
    r"ab*c",
    r"(?i)STK",
    r"(?:stk){e<=1}",
]
_PATTERN_PIECES = [
    "stk",
    "stx",
    "so tai khoan",
    "tai khoan",
    " ",
    ":",
    "0905123456",
    "12 345 678",
    "chuyen tien",
    "nap tien",
    "+84",
    "https://",
    "bit.ly/x",
    "abc.top",
    "zalo",
    "ab",
    "ac",
    "abe",
    "abcde",
    "abbbc",
    "d",
    "x",
    ".",
]


def test_patterns_skipped_by_their_literals_match_as_the_engine_does() -> None:
    import regex

    from nlp.regex_guard import compile_guarded

    rng = random.Random(7)
    texts = [
        "".join(rng.choice(_PATTERN_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(3000)
    ]
    skipped = 0
    for pattern in _PATTERNS:
        guarded, plain = compile_guarded(pattern), regex.compile(pattern)
        for text in texts:
            got = [m.span() for m in guarded.finditer(text, 1.0)]
            assert got == [m.span() for m in plain.finditer(text)], (pattern, text)
            skipped += bool(guarded.required) and not any(r in text for r in guarded.required)
    assert skipped > 1000  # the texts exercise the skipping
    assert compile_guarded(_PATTERNS[0]).required == ("stk", "tai khoan")  # "so tai khoan" too
    assert compile_guarded(r"(?i)STK").required == ()
    assert compile_guarded(r"(?:stk){e<=1}").required == ()


def test_the_plain_translation_table_folds_characters_it_has_not_seen() -> None:
    from nlp.normalize import _FoldTable

    texts = _texts(500) + _match_texts(500) + ["оn Ноі ѕtk", "ｌｕａ ｄａｏ", "Ⓐ𝐥𝐨 ɗ"]
    fast, reference = _FoldTable(True, True, True), _FoldTable(True, True, True)
    for text in texts:
        folded, rest = fast.translate(text)
        assert folded == text.translate(reference), text
        assert rest == "".join(c for c in folded if not c.isascii()), text
    assert len(fast) > len(_FoldTable(True, True, True))  # characters were added on the way


def test_one_scan_of_a_group_gives_each_matcher_its_own_scan() -> None:
    from nlp.matcher import ScanGroup

    matchers: list[PhraseMatcher[str]] = [
        PhraseMatcher((p, p) for p in _PHRASES[:6]),
        PhraseMatcher((p, p) for p in _PHRASES[4:]),  # shares two phrases with the first
        PhraseMatcher([]),
        PhraseMatcher((p, p) for p in ("an", "công an", "điện*")),
    ]
    group = ScanGroup(matchers)
    hits = 0
    for text in _match_texts(1000):
        folded = fold_with_offsets(text)
        shares = group.scan(folded)
        assert shares == [m.scan(folded) for m in matchers], text
        for matcher, share in zip(matchers, shares, strict=True):
            assert list(matcher.find(folded, scanned=share)) == list(matcher.find(folded))
        hits += sum(map(len, shares))
    assert hits > 3000


def test_no_character_folds_to_a_byte_of_the_marked_view() -> None:
    """The marked bytes stand for Vietnamese letters only because nothing folds to them."""
    from nlp.normalize import _CODE_POINTS, _NOT_MARKED, _FoldTable

    table = _FoldTable(True, True, True)
    reserved = {chr(code) for code in _CODE_POINTS} | {_NOT_MARKED}
    every = (code for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)
    assert [hex(code) for code in every if table[code] in reserved] == []


def test_each_code_of_the_one_pass_stands_for_what_the_table_says() -> None:
    """The one pass encodes with a charmap: a code's folding and marked byte must be its
    character's, every character of Vietnamese press text must have one (else the pass falls
    back to a lookup per character), and the map must be CPython's fast kind."""
    from nlp.normalize import _NOT_MARKED, _UNMARK, _codable, _FoldTable

    table = _FoldTable(True, True, True)
    coding = table._coding
    assert coding is not None and type(coding.encoding).__name__ == "EncodingMap"
    common = "Tin “nóng” – Lừa đảo ở NGỌC HỒI, Ăn ý… 30°C • Ư ‘x’—\u00a0\t\n\r?"
    common += unicodedata.normalize("NFD", "Lừa đảo ở Ngọc Hồi") + "\u200b\u200c\u200d\ufeff"
    coded = {char: _code_of(char, coding.encoding) for char in set(common)}
    assert None not in coded.values(), coded
    chars_of: dict[int, list[str]] = {}
    for char in map(chr, range(0x10000)):
        code = _code_of(char, coding.encoding)
        if code is not None:
            chars_of.setdefault(code, []).append(char)
    assert len(chars_of) == 256 and all(len(chars) == 1 for chars in chars_of.values())
    for code, (char,) in chars_of.items():
        folded, marked = table._plain[ord(char)], table._marked[ord(char)]
        assert coding.folded[code] == folded, char
        if ord(marked) < 0x100:
            assert coding.marked[code] == ord(marked) != ord(_NOT_MARKED), char
            assert _UNMARK[ord(marked)] == ord(folded), char
        else:
            assert coding.marked[code] == ord("?") and marked == folded, char
        assert folded.isascii() or not folded.isalnum(), char
    assert bytes([coded["?"]]) == coding.question

    # what stays out: letters that fold outside ASCII, letters of other scripts, look-alikes
    def codable(char: str) -> bool:
        return _codable(table[ord(char)], table._marked[ord(char)])

    assert [c for c in "ªµßЖѕｌ𝐥中" if codable(c)] == []
    assert all(map(codable, "aZ?“ạỮ\u00a0\u200b"))


def _code_of(char: str, encoding: object) -> int | None:
    try:
        return codecs.charmap_encode(char, "strict", encoding)[0][0]
    except UnicodeEncodeError:
        return None


# Vietnamese words with the letters that fold alike, cut and spaced-out words.
_MARKED_PIECES = [
    *"lạ là la LẠ Lạ lạnh lại ảnh Ảnh anh ANH bán bánh ban bàn Bán".split(),  # noqa: SIM905
    *"chuyển chuyen Chuyển chuyểnkhoản lừa lua lúa đảo dao Đảo ăn an Ăn lẳ lẵ".split(),  # noqa: SIM905
    *"điện dien ĐIỆN đ ạ 1 2026 x_y bάn".split(),  # noqa: SIM905 (Greek ά: a look-alike of á)
    " ",
    " ",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    "\u00a0",
    ",",
    ".",
    "-",
    "?",
    "“",
    "”",
    "…",
    "l ừ a",
    "x²",
    "GD&ĐT",  # an ampersand but no entity
    "😀",
]
# What keeps a text out of the one-pass folding (combining marks, entities, tags, letters and
# digits of other scripts) or out of its marked view (look-alikes, full-width letters).
_UNMARKED_PIECES = [
    "ѕtk",
    "ｌạ",
    "la\u0323",
    "&amp;",
    "<b>",
    "中",
    "Жan",
    "٣",
    "𝐥ạ",
    "\u200b",
]
# One-word phrases typed with diacritics, alone on their key (looked for in the marked view)
# or beside a phrase typed without ("anh": the key is scanned in the word view).
_MARKED_PHRASES = ["lạ", "là", "lẵ", "ảnh", "bán*", "bàn", "chuyển*", "lừa", "Ăn", "đảo", "điện"]
_MARKED_PHRASES += ["anh", "lừa đảo", "ck", "Chuyển khoản"]


def _marked_texts(count: int) -> list[str]:
    """Texts mostly typed with diacritics, some with a piece that keeps them out, and texts
    typed without (where a bare word stands for any)."""
    accented = [p for p in _MARKED_PIECES if not p.isascii()] * 3 + _MARKED_PIECES
    mixed = _MARKED_PIECES + _UNMARKED_PIECES
    bare = [fold(p) for p in _MARKED_PIECES] + ["Lạ", "ảnh"]
    return (
        _joined(accented, count, 40, seed=9)
        + _joined(mixed, count // 2, 20, seed=3)
        + _joined(bare, count // 2, 40, seed=5)
    )


def test_the_one_pass_folding_is_the_folding_piece_by_piece() -> None:
    from nlp.letters import FULL_WIDTH
    from nlp.look_alikes import confusables
    from nlp.normalize import (
        _MARK_CODES,
        _MARKUP,
        _REMOVED,
        _fold_in_pieces,
        _fold_plain_text,
        _FoldTable,
    )

    table = _FoldTable(True, True, True)  # a new table: characters are met for the first time

    look_alikes = set(confusables()[0]) | set(FULL_WIDTH)

    def one_pass(text: str) -> tuple[FoldedText | None, tuple[str, str] | None]:
        """The one-pass folding, or None, and the translation it leaves to the pieces."""
        if _MARKUP.search(text) or _REMOVED in text:
            return None, None
        translated = table.translate_marked(text)
        if translated is None:
            return None, None
        # look-alikes fold in the one pass too, and keep the marked view away
        assert translated[3] == (not any(ord(c) in look_alikes for c in text)), text
        return _fold_plain_text(text, *translated), translated[:2]

    long = ["“Lạ” – " * 300 + "tin…", "😀 " * 1000 + "bán"]  # many characters past Latin-1
    texts = _texts(1000) + _match_texts(1000) + _marked_texts(1000) + long
    assert all(one_pass(text)[0] is not None for text in long)
    fast_texts = marked = handed_on = stood_in = 0
    for text in texts:
        expected = _fold_in_pieces(text, table, True, bool(_MARKUP.search(text)))
        fast, translated = one_pass(text)
        if fast is None:
            if translated is not None:  # marks to remove: the pieces reuse the translation
                handed_on += 1
                reused = _fold_in_pieces(text, table, True, False, translated)
                assert (reused.folded, list(reused.origin)) == (
                    expected.folded,
                    list(expected.origin),
                ), text
            continue
        fast_texts += 1
        stood_in += any(ord(c) in look_alikes for c in text)
        assert fast.folded == expected.folded, text
        assert list(fast.origin) == list(expected.origin), text
        assert fast.view == expected.view == word_view(expected.folded), text
        assert fast.accented == typed_with_diacritics(text), text
        markable = not any(ord(c) in look_alikes for c in text)
        assert (fast.marked is not None) == (fast.accented and markable), text
        if fast.marked is None:
            continue
        marked += 1
        view = fast.view.text
        assert len(fast.marked) == len(view), text
        for index, (mark, blank) in enumerate(zip(fast.marked, view, strict=True)):
            if mark.isascii():
                assert mark == blank, (text, index)
                continue
            # a letter with diacritics (the view is shifted by one): its byte, folding as the
            # view says
            written = unicodedata.normalize("NFC", text[fast.origin[index - 1]]).lower()
            assert mark == _MARK_CODES[written] and fold(written) == blank, (text, index)
    assert fast_texts > 1000 and marked > 300 and handed_on > 20 and stood_in > 100


def test_threads_meeting_new_characters_together_fold_as_one_thread_does() -> None:
    """Workers share the tables: a character another thread adds while this one translates
    is translated again, never left as it is (U+3000, an ideographic space, folds to a
    line end; a thread that missed it kept it)."""
    import sys
    import threading

    from nlp.normalize import _FoldTable

    firsts = [chr(code) for code in range(0x3000, 0x3040)] + [chr(c) for c in range(0x2070, 0x20A0)]
    texts = [f"Tin nóng{char}{char}lừa đảo ở Ngọc Hồi “{char}”" for char in firsts]
    reference = _FoldTable(True, True, True)
    expected = [(reference.translate_marked(t), reference.translate(t)) for t in texts]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(5):
            shared = _FoldTable(True, True, True)
            results: dict[int, list[object]] = {}

            def fold_all(
                number: int, table: _FoldTable = shared, out: dict[int, list[object]] = results
            ) -> None:
                order = texts if number % 2 else texts[::-1]
                out[number] = [(table.translate_marked(t), table.translate(t)) for t in order]

            threads = [threading.Thread(target=fold_all, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for number, got in results.items():
                assert got == (expected if number % 2 else expected[::-1])
            assert len(results) == 4
    finally:
        sys.setswitchinterval(interval)


def test_hits_come_in_the_order_of_the_text() -> None:
    matcher: PhraseMatcher[str] = PhraseMatcher([("đảo", "đảo"), ("anh", "anh")])
    hits = matcher.find(fold_with_offsets("Đảo anh đảo"))
    assert [hit.surface for hit in hits] == ["Đảo", "anh", "đảo"]


def test_phrases_looked_for_in_the_marked_view_are_what_per_hit_checks_find() -> None:
    """In texts typed with diacritics the one-word phrases typed with diacritics are looked
    for as written; what is found is what the per-hit checks find in the folded text."""
    matcher: PhraseMatcher[str] = PhraseMatcher((p, p) for p in _MARKED_PHRASES)
    found = marked = 0
    for text in _marked_texts(3000):
        folded = fold_with_offsets(text)
        expected = sorted(map(_key, _per_hit_find(_MARKED_PHRASES, folded)))
        assert sorted(map(_key, matcher.find(folded))) == expected, text
        assert sorted(map(_key, matcher.find(folded, accented=False))) == sorted(
            map(_key, _per_hit_find(_MARKED_PHRASES, folded, accented=False))
        ), text
        found += len(expected)
        marked += folded.marked is not None
    assert found > 5000 and 1000 < marked < 5000  # both scans are exercised


def test_meta_tags_read_in_one_walk_are_what_the_css_queries_select() -> None:
    """crawler/extract.py answers its default <meta> queries from one walk over the page's
    meta tags; on pages with meta tags of every shape, the answers are parsel's own."""
    from parsel import Selector

    from crawler.extract import _META_AUTHOR, _META_TIME, _META_TITLE, _first, _metas

    rng = random.Random(11)
    attributes = ["property", "name", "itemprop", "PROPERTY", "http-equiv", "charset"]
    values = [
        "og:title",
        "author",
        "article:author",
        "article:published_time",
        "datePublished",
        "pubdate",
        "OG:TITLE",
        "og:title ",
        "description",
    ]
    contents = ['content="Tin đồn ở Bờ Y"', 'content=""', 'content=" "', "", 'content="2025-09"']
    for _ in range(400):
        tags = []
        for _ in range(rng.randint(0, 6)):
            shown = rng.sample(attributes, rng.randint(1, 2))
            pairs = " ".join(f'{a}="{rng.choice(values)}"' for a in shown)
            tags.append(f"<meta {pairs} {rng.choice(contents)}>")
        head, body = tags[: len(tags) // 2], tags[len(tags) // 2 :]
        h1 = rng.choice(["", "<h1>Tiêu đề</h1>", "<h1> </h1>"])
        html = (
            f"<html><head><title>Trang</title>{''.join(head)}</head>"
            f"<body>{h1}<p>Nội dung</p>{''.join(body)}"
            f"{rng.choice(['', '<time datetime=2025-01-02>hôm qua</time>'])}</body></html>"
        )
        page = Selector(text=html)
        metas = _metas(page)
        for queries in (_META_TITLE, _META_AUTHOR, _META_TIME):
            assert _first(page, queries, metas) == _first(page, queries), html


def test_whitespace_is_collapsed_as_replacing_every_run_does() -> None:
    """crawler/text.py replaces only the runs of spaces that are not a lone " "; the text
    comes out as when every run, lone spaces included, becomes one space: on lines of
    every kind of space and line break, and runs of them at the edges."""
    from crawler.text import normalize_text

    def every_run(text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        lines = [
            re.sub("[ \t\r\f\v\u00a0\u200b\ufeff]+", " ", line).strip()
            for line in text.splitlines()
        ]
        return re.sub(r"\n\s*\n+", "\n\n", "\n".join(lines)).strip()

    alphabet = [*"ab ế", "e\u0301", *"\t\r\n\f\v\u00a0\u200b\ufeff\u2003\x1c\u2028", "  ", " \n "]
    rng = random.Random(5)
    texts = ["", " ", "a b", "a  b", "a \u00a0b", "a\u00a0 b", "a\t\tb", " a b \n\n\n c "]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(0, 40))) for _ in range(20_000)]
    for text in texts:
        assert normalize_text(text) == every_run(text), repr(text)


def test_the_automaton_reports_what_an_aho_corasick_traversal_does() -> None:
    """Every word ending at every place, by their ends and the longest first at one end, as
    pyahocorasick's traversal gives them: the order ``find`` and the queries rely on. Words
    over a space, two letters and a marked byte, so that many are suffixes of others."""
    rng = random.Random(7)
    alphabet = " ab\xe0"
    words = sorted({"".join(rng.choices(alphabet, k=rng.randint(1, 5))) for _ in range(300)})
    ours = _Automaton({word: (word,) for word in words})
    reference = ahocorasick.Automaton()
    for word in words:
        reference.add_word(word, word)
    reference.make_automaton()
    for _ in range(300):
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 80)))
        expected = [(last, word, last + 1 - len(word)) for last, word in reference.iter(text)]
        got = [(end - 1, ours.values[found][0], start) for start, end, found in ours.iter(text)]
        assert got == expected, text
