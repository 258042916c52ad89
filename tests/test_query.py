"""The rule language (nlp/query.py): syntax, errors with columns, and meaning on text."""

from __future__ import annotations

import pytest

from nlp.normalize import fold_with_offsets
from nlp.query import And, CompiledQueries, Near, Not, Or, QueryError, Term, parse_query

IMPERSONATION = (
    '("tự xưng" OR "giả danh" OR "mạo danh") NEAR/8 ("công an" OR "cán bộ" OR "ngân hàng") '
    'AND ("chuyển tiền" OR "chuyển khoản" OR "gửi tiền")'
)


def spans(query: str, text: str) -> list[str] | None:
    """The surfaces that made the query hold, or None when it does not hold."""
    (hit,) = CompiledQueries([query]).find(fold_with_offsets(text)) or (None,)
    return None if hit is None else [text[a:b] for a, b in hit.spans]


def test_precedence_near_binds_tighter_than_and_tighter_than_or() -> None:
    node = parse_query("a OR b AND c NEAR/3 d")
    assert node == Or((Term("a"), And((Term("b"), Near(Term("c"), Term("d"), 3)))))
    assert parse_query("NOT a AND b") == And((Not(Term("a")), Term("b")))
    assert parse_query('"lừa đảo*"') == Term("lừa đảo", prefix=True)
    assert parse_query("chuyen*") == Term("chuyen", prefix=True)


@pytest.mark.parametrize(
    ("query", "column", "words"),
    [
        ("lừa đảo", 5, "without an operator"),
        ('"a" AND', 8, "ends too early"),
        ("(tin OR đồn", 12, "ends too early"),
        ('NOT "bác bỏ"', None, "outside NOT"),
        ('"x" NEAR/500 y', 5, "at most NEAR/100"),
        ("a NEAR/3 NOT b", 3, "NOT cannot be an operand of NEAR"),
        ("x*", 1, "too short"),
        ('"" OR a', 1, "empty phrase"),
        ("a AND ) b", 7, "unexpected"),
    ],
)
def test_bad_queries_say_what_and_where(query: str, column: int | None, words: str) -> None:
    with pytest.raises(QueryError, match=words) as error:
        parse_query(query)
    assert error.value.column == column


def test_a_narrative_report_holds_with_every_span() -> None:
    text = (
        "Đối tượng tự xưng là cán bộ Công an huyện Ngọc Hồi, yêu cầu bà H. gửi tiền vào "
        "tài khoản để xác minh."
    )
    assert spans(IMPERSONATION, text) == ["tự xưng", "cán bộ", "Công an", "gửi tiền"]


def test_unaccented_and_teencode_posts_match_the_same_query() -> None:
    post = "doi tuong tu xung la can bo cong an, bat chuyen khoan gap"
    assert spans(IMPERSONATION, post) == ["tu xung", "can bo", "cong an", "chuyen khoan"]


def test_near_counts_words_between_in_either_order() -> None:
    query = '"công an" NEAR/2 "chuyển tiền"'
    assert spans(query, "công an bảo phải chuyển tiền") == ["công an", "chuyển tiền"]
    assert spans(query, "chuyển tiền cho công an") == ["chuyển tiền", "công an"]
    assert spans(query, "công an nói rằng bà phải chuyển tiền") is None  # 4 words between


def test_not_excludes_and_never_highlights() -> None:
    query = '"vỡ đập" AND NOT ("bác bỏ" OR "khẳng định không có")'
    assert spans(query, "Tin vỡ đập lan truyền khắp xã") == ["vỡ đập"]
    assert spans(query, "Huyện bác bỏ tin vỡ đập") is None


def test_prefix_matches_word_starts_only() -> None:
    assert spans("lừa*", "bà bị lừa mất tiền") == ["lừa"]
    assert spans("chuyen*", "nhờ chuyenkhoan giùm") == ["chuyenkhoan"]
    assert spans("chuyển*", "bà đã chuyển khoản") == ["chuyển"]
    assert spans("chuyển*", "nội dung bàn chuyện") is None  # "chuyện" is not "chuyển..."


def test_diacritics_decide_in_accented_text_and_not_in_bare_text() -> None:
    assert spans('"lừa đảo"', "lúa đào chín rộ ở Plei Kần") is None
    assert spans("giả", "gia đình bà H. ở Bờ Y") is None  # accented text: "gia" is "gia"
    assert spans("giả", "thong bao gia cua ubnd") == ["gia"]  # bare text: it may be "giả"
    # several bare words in an accented post: the writer dropped the marks for a moment
    assert spans('"lừa đảo"', "Nhiều người nói về chuyện lua dao ở xã Sa Loong") == ["lua dao"]


def test_terms_with_other_diacritics_stay_distinct_terms() -> None:
    """ "giá" and "giả" fold alike; a query on one must never fire on the other."""
    compiled = CompiledQueries(['"giả" AND phí', "giá"])
    hits = compiled.find(fold_with_offsets("xã không thu phí, vẫn có giá trị"))
    assert [h.index for h in hits] == [1]


def test_offsets_index_the_original_text_with_markup() -> None:
    text = "<p>Cảnh báo: kẻ gian <b>giả danh</b>&nbsp;cán bộ ngân hàng, đòi chuyển khoản</p>"
    found = spans(IMPERSONATION, text)
    assert found == ["giả danh", "cán bộ", "ngân hàng", "chuyển khoản"]


def test_many_queries_cost_one_automaton_pass_and_only_triggered_ones_run() -> None:
    queries = [f'"từ khóa {n}" NEAR/3 "lừa đảo"' for n in range(500)] + [IMPERSONATION]
    compiled = CompiledQueries(queries)
    text = "Kẻ giả danh cán bộ ngân hàng yêu cầu chuyển tiền. Từ khóa 7 gần lừa đảo."
    assert [h.index for h in compiled.find(fold_with_offsets(text))] == [7, 500]
