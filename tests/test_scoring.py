"""Scoring weighs evidence where it is, and every score is explained to the last factor."""

from __future__ import annotations

import pytest

from nlp.analyzer import Analyzer
from nlp.rules import KeywordRule, LocalitySpec, PatternRule, QueryRule, RuleSet, Scoring

LOCALITY = (LocalitySpec("Kon Tum", "Ngọc Hồi"),)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(
        RuleSet(
            LOCALITY,
            keywords=(KeywordRule("denial", "bác bỏ", -2.5),),
            queries=(
                QueryRule("scam_words", "scam", '"lừa đảo" OR "bị lừa"', 2.0),
                QueryRule("case_amount", "case", '"triệu đồng"', 1.0),
                QueryRule("urgent", "urgency", '"chia sẻ gấp"', 1.0),
            ),
        )
    )


def contribution(result: object, rule: str) -> dict:
    (found,) = [c for c in result.explanation["contributions"] if c["rule"] == rule]
    return found


def test_a_concrete_case_lifts_one_claim_over_the_threshold(analyzer: Analyzer) -> None:
    text = "Bà H. ở thị trấn Plei Kần bị lừa 40 triệu đồng qua điện thoại."
    result = analyzer.analyze(text, trust="press")
    assert result.score == 3.0 and result.flagged
    explanation = result.explanation
    assert [c["rule"] for c in explanation["contributions"]] == ["case_amount", "scam_words"]
    assert explanation["total"] == 3.0 and explanation["threshold"] == 3.0
    assert explanation["trust"] == "press" and explanation["trust_factor"] == 1.0


def test_supporting_categories_never_make_a_claim_alone(analyzer: Analyzer) -> None:
    result = analyzer.analyze("Bà con thị trấn Plei Kần chia sẻ gấp: giá lúa 7 triệu đồng/tấn.")
    assert result.score == 0.0 and not result.flagged
    assert result.explanation["contributions"] == []
    assert any("bổ trợ" in note for note in result.explanation["notes_vi"])


def test_evidence_far_from_the_place_counts_less(analyzer: Analyzer) -> None:
    near = "Ở thị trấn Plei Kần có người bị lừa mất tiền."
    far = "Ở thị trấn Plei Kần trời mưa. " + "Ngày hôm qua trời đẹp. " * 30 + "Có người bị lừa."
    near_result, far_result = analyzer.analyze(near), analyzer.analyze(far)
    assert contribution(near_result, "scam_words")["value"] == 2.0
    distant = contribution(far_result, "scam_words")
    assert distant["value"] == pytest.approx(2.0 * 0.6)
    assert distant["factors"] == [
        {"name": "distant", "label_vi": "xa nơi nhắc tới địa bàn", "value": 0.6}
    ]


def test_place_in_the_title_makes_the_whole_text_near(analyzer: Analyzer) -> None:
    text = "Ngày hôm qua trời đẹp. " * 30 + "Có người bị lừa."
    result = analyzer.analyze(text, title="Cảnh giác ở thị trấn Plei Kần")
    assert contribution(result, "scam_words")["factors"] == []


def test_title_match_carries_the_title_multiplier(analyzer: Analyzer) -> None:
    result = analyzer.analyze("Thị trấn Plei Kần.", title="Lại có người bị lừa", trust="social")
    found = contribution(result, "scam_words")
    assert found["field"] == "title" and found["value"] == 3.0
    assert found["factors"][0]["name"] == "title"
    assert result.score == pytest.approx(3.0 * 1.3)


def test_denial_lowers_and_the_explanation_adds_up(analyzer: Analyzer) -> None:
    text = "Công an huyện Ngọc Hồi bác bỏ tin có người bị lừa 40 triệu đồng."
    result = analyzer.analyze(text, trust="social")
    explanation = result.explanation
    total = sum(c["value"] for c in explanation["contributions"])
    assert explanation["total"] == pytest.approx(total) == pytest.approx(0.5)
    assert result.score == pytest.approx(max(total * 1.3, 0.0))
    assert not result.flagged


def test_no_place_no_flag_but_the_score_stands(analyzer: Analyzer) -> None:
    result = analyzer.analyze("Một người ở Đà Nẵng bị lừa 40 triệu đồng.")
    assert result.score == 3.0 and not result.flagged
    assert any("không nhắc tới địa bàn" in n for n in result.explanation["notes_vi"])


def test_a_slow_pattern_is_cut_off_and_reported() -> None:
    analyzer = Analyzer(
        RuleSet(
            LOCALITY,
            # the link rule shipped until 2026-11: quadratic on a run of "http://"
            patterns=(PatternRule("slow", "scam", r"https?://\S*(?:bit\.ly|\.xyz)\b\S*", 1.0),),
            scoring=Scoring(regex_budget_seconds=0.05),
        )
    )
    result = analyzer.analyze("http://" * 30_000 + " Plei Kần")  # unguarded: half a minute
    assert any("slow" in note for note in result.explanation["notes_vi"])


def test_a_query_hit_is_one_piece_of_evidence() -> None:
    """One word of a hit in the title does not lend the whole hit the title multiplier."""
    analyzer = Analyzer(
        RuleSet(LOCALITY, queries=(QueryRule("dam", "disaster", '"lũ" NEAR/25 "tin đồn"', 3.0),))
    )
    result = analyzer.analyze("Ở thị trấn Plei Kần có tin đồn vỡ đập.", title="Mùa lũ")
    (found,) = result.explanation["contributions"]
    assert found["field"] == "text" and found["factors"] == [] and found["value"] == 3.0
    assert {m["field"] for m in result.matches if m["rule"] == "dam"} == {"title", "text"}
