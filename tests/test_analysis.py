"""The analysis stage on realistic Vietnamese text written for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.wiring import ruleset
from nlp.analyzer import Analyzer
from nlp.normalize import fold, fold_with_offsets
from tests.helpers import ROOT, run_cli


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(ruleset(load_config(ROOT / "config.yaml")))


def units(result) -> set[str]:
    return {loc["unit"].split(",")[0] for loc in result.localities}


def test_fold_maps_back_to_original_offsets() -> None:
    text = "Tin đồn ở Đắk Nông"
    decomposed = "Tin \u0111o\u0302\u0300n"  # NFD: đồn with combining marks
    assert fold(text) == "tin don o dak nong"
    folded = fold_with_offsets(decomposed)
    assert folded.folded == "tin don"
    assert folded.span(4, 7) == (4, len(decomposed))


def test_old_and_new_unit_names(analyzer: Analyzer) -> None:
    old = analyzer.analyze("Tin đồn về dịch bệnh ở thị trấn Plei Kần, huyện Ngọc Hồi.")
    new = analyzer.analyze("Người dân xã Dục Nông, tỉnh Quảng Ngãi được cảnh báo lừa đảo.")
    assert units(old) == {"Thị trấn Plei Kần", "Huyện Ngọc Hồi"}
    assert units(new) == {"Xã Dục Nông"}


def test_ngoc_hoi_of_ha_noi_is_not_ours(analyzer: Analyzer) -> None:
    for text in (
        "Tin đồn giải tỏa ở xã Ngọc Hồi, huyện Thanh Trì, Hà Nội là sai sự thật.",
        "Cảnh giác lừa đảo bán đất ở Ngọc Hồi gần Văn Điển.",
        "Ngọc Hồi (Hà Nội): người dân xôn xao tin đồn.",
    ):
        result = analyzer.analyze(text)
        assert result.localities == [], text
        assert not result.flagged


def test_no_diacritics_social_post_is_flagged(analyzer: Analyzer) -> None:
    text = "tin don: dap thuy dien o ngoc hoi kon tum sap vo, ba con so tan khan cap!!!"
    result = analyzer.analyze(text, trust="social")
    assert units(result) == {"Huyện Ngọc Hồi"}
    assert {"rumour", "disaster", "urgency"} <= set(result.categories)
    assert result.flagged


def test_scam_with_bank_account(analyzer: Analyzer) -> None:
    text = (
        "Chúc mừng người dân xã Bờ Y trúng thưởng xe máy, vui lòng chuyển khoản trước "
        "phí 500.000đ vào STK 1903 5555 8888 để nhận quà."
    )
    result = analyzer.analyze(text, trust="social")
    rules = {m["rule"] for m in result.matches}
    assert "bank_account" in rules and "scam:trúng thưởng" in rules
    assert result.flagged


def test_official_denial_is_not_itself_flagged(analyzer: Analyzer) -> None:
    title = "Huyện Ngọc Hồi bác bỏ tin đồn đóng cửa khẩu quốc tế Bờ Y"
    text = (
        "UBND huyện Ngọc Hồi, tỉnh Kon Tum khẳng định thông tin lan truyền trên mạng "
        "về việc đóng cửa khẩu quốc tế Bờ Y là thông tin sai sự thật."
    )
    result = analyzer.analyze(text, title, trust="official")
    assert result.localities and not result.flagged


def test_offsets_point_at_the_original_characters(analyzer: Analyzer) -> None:
    title = "Xôn xao TIN ĐỒN ở Sa Loong"
    text = "Nhiều người  nói về  tin   don lua dao ở xã Sa Loong, tỉnh Quảng Ngãi."
    result = analyzer.analyze(text, title)
    for found in result.matches + result.localities:
        source = title if found["field"] == "title" else text
        assert source[found["start"] : found["end"]] == found["surface"]
    surfaces = {m["surface"] for m in result.matches}
    assert {"TIN ĐỒN", "tin   don", "lua dao"} <= surfaces


def test_accented_lookalike_does_not_match(analyzer: Analyzer) -> None:
    result = analyzer.analyze("Lúa đào ở xã Sa Loong được mùa, bà con vui mừng.")
    assert not any(m["category"] == "scam" for m in result.matches)


def test_analyze_text_cli_json_lines(tmp_path: Path) -> None:
    lines = [
        {
            "id": "a",
            "title": "Tin đồn ở Ngọc Hồi, Kon Tum",
            "text": "Lừa đảo chuyển khoản trước ở thị trấn Plei Kần.",
        },
        {"id": "b", "text": "Xã Ngọc Hồi, Thanh Trì, Hà Nội có tin đồn."},
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json {\n"
    result = run_cli(
        "--config",
        str(ROOT / "config.yaml"),
        "analyze-text",
        cwd=tmp_path,
        stdin="\n".join(json.dumps(x, ensure_ascii=False) for x in lines),
    )
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert out[0]["flagged"] and not out[1]["flagged"]
    first = out[0]["matches"][0]
    assert set(first) >= {"rule", "category", "surface", "start", "end", "weight"}
    assert set(out[0]["localities"][0]) >= {"unit", "surface", "start", "end"}

    bad = run_cli("--config", str(ROOT / "config.yaml"), "analyze-text", cwd=tmp_path, stdin=stdin)
    assert bad.returncode == 0
    assert "line 3: invalid JSON" in bad.stdout.splitlines()[-1]

    plain = run_cli(
        "--config",
        str(ROOT / "config.yaml"),
        "analyze-text",
        cwd=tmp_path,
        stdin="Tin đồn lừa đảo ở xã Bờ Y.\nDòng thứ hai.",
    )
    (doc,) = [json.loads(line) for line in plain.stdout.splitlines()]
    assert doc["flagged"] and doc["localities"][0]["surface"] == "xã Bờ Y"


def test_a_lone_surrogate_beside_an_ambiguous_name_stops_nothing(tmp_path: Path) -> None:
    """JSON may escape half a surrogate pair ("\\udc00"); underthesea's NER cannot encode it
    and stopped the whole stream at that line. Now the line is analysed, offsets intact."""
    text = "Chị Ngọc Hồi \udc00, một tiểu thương ở chợ Kon Tum, nói giá rau tăng."
    lines = [{"id": 1, "text": text}, {"id": 2, "text": "Tin đồn lừa đảo ở xã Bờ Y."}]
    stdin = "\n".join(json.dumps(line) for line in lines)  # the surrogate as an escape
    config = str(ROOT / "config.yaml")
    result = run_cli("--config", config, "analyze-text", cwd=tmp_path, stdin=stdin)
    assert result.returncode == 0, result.stderr
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["localities"] == []  # NER still reads "Chị Ngọc Hồi" as a person
    assert second["flagged"] and second["localities"][0]["surface"] == "xã Bờ Y"


def test_analyze_text_answers_each_line_before_the_next_comes(tmp_path: Path) -> None:
    """A caller may keep analyze-text running and feed it one item at a time (a co-process):
    each answer must come out before the input ends."""
    import os
    import queue
    import subprocess
    import sys
    import threading

    # stdout to a pipe is block-buffered unless PYTHONUNBUFFERED says otherwise
    unset = {"PRESS_MONITOR_CONFIG", "PYTHONUNBUFFERED"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    command = [sys.executable, "-m", "monitor", "--config", str(ROOT / "config.yaml")]
    child = subprocess.Popen(
        [*command, "analyze-text"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert child.stdin is not None and child.stdout is not None
    answers: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [answers.put(line) for line in child.stdout])
    reader.start()
    try:
        for number, text in enumerate(["Tin đồn lừa đảo ở xã Bờ Y.", "Trời đẹp ở Hà Nội."]):
            line = {"id": number, "text": text}
            child.stdin.write(json.dumps(line, ensure_ascii=False) + "\n")
            child.stdin.flush()
            answer = json.loads(answers.get(timeout=120))  # the input stays open meanwhile
            assert answer["id"] == number
            assert answer["flagged"] == (number == 0)
    finally:
        child.stdin.close()
        assert child.wait(timeout=120) == 0
        reader.join(timeout=120)


def test_analyze_text_reads_json_lines_one_at_a_time() -> None:
    """Lines end at line ends only: JSON allows U+2028 and U+0085 inside a string, which
    str.splitlines took for line ends. Numbers count blank lines; a first character that
    is not "{" makes the whole input one document, leading blank lines included."""
    import io

    from monitor.textio import read_inputs

    def records(text: str) -> list[dict[str, object]]:
        return list(read_inputs(io.StringIO(text, newline=None)))

    text = json.dumps({"id": 7, "text": "Tin đồn\u2028lừa đảo\x85ở Bờ Y"}, ensure_ascii=False)
    assert "\u2028" in text  # written as the character, not escaped
    assert records(f"\n{text}\r\n\nnot json\n[1]\n") == [
        {"id": 7, "text": "Tin đồn\u2028lừa đảo\x85ở Bờ Y", "title": ""},
        {"id": None, "error": "line 4: invalid JSON: Expecting value"},
        {"id": None, "error": "line 5: expected an object with a text string"},
    ]
    assert records("\n\nTin đồn ở Bờ Y\n{}") == [
        {"id": 1, "text": "\n\nTin đồn ở Bờ Y\n{}", "title": ""}
    ]
    assert records("") == records(" \n\n") == records("\u00a0\n\u3000\n") == []
    # whitespace that JSON does not know, around an object, was always allowed
    padded = records(f"{text}\n\u00a0{text}\u3000\n{text}\u00a0x\n")
    assert padded[0] == padded[1] != padded[2]
    assert padded[2] == {"id": None, "error": "line 3: invalid JSON: Extra data"}


def test_commune_name_shared_with_a_province(analyzer: Analyzer) -> None:
    """Đăk Nông was a commune of ours and Đắk Nông a province: the unit word decides."""
    province = analyzer.analyze("Tin đồn sạt lở lớn ở tỉnh Đắk Nông khiến dư luận xôn xao.")
    ours = analyzer.analyze("Tin đồn sạt lở ở xã Đăk Nông, huyện Ngọc Hồi khiến người dân lo.")
    bare = analyzer.analyze("Tin đồn sạt lở ở Đắk Nông khiến dư luận xôn xao.")
    assert province.localities == [] and bare.localities == []
    assert units(ours) == {"Xã Đăk Nông", "Huyện Ngọc Hồi"}


def test_person_named_like_the_place_is_not_a_mention(analyzer: Analyzer) -> None:
    person = analyzer.analyze("Chị Ngọc Hồi, một tiểu thương ở chợ Kon Tum, nói giá rau tăng.")
    school = analyzer.analyze("Trường THCS Ngọc Hồi, Kon Tum bác bỏ tin đồn nghỉ học.")
    assert person.localities == []
    assert units(school) == {"Huyện Ngọc Hồi"}


def test_html_remnants_do_not_hide_words_and_offsets_stay(analyzer: Analyzer) -> None:
    text = "<p>Tin&nbsp;đồn <b>lừa đảo</b> ở xã <i>Bờ Y</i>, tỉnh Quảng Ngãi</p>"
    result = analyzer.analyze(text)
    assert result.flagged
    for found in result.matches + result.localities:
        assert text[found["start"] : found["end"]] == found["surface"]
    assert {m["surface"] for m in result.matches} >= {"Tin&nbsp;đồn", "lừa đảo"}


def test_ner_runs_only_for_ambiguous_mentions(analyzer: Analyzer, monkeypatch) -> None:
    import nlp.locality

    calls: list[str] = []
    real = nlp.locality.is_person

    def counting(text: str, start: int, end: int) -> bool:
        calls.append(text[start:end])
        return real(text, start, end)

    monkeypatch.setattr(nlp.locality, "is_person", counting)
    analyzer.analyze("Tin đồn ở thị trấn Plei Kần và xã Sa Loong, huyện Ngọc Hồi.")
    assert calls == []  # unambiguous names and unit words need no NER
    analyzer.analyze("Người dân Ngọc Hồi, Kon Tum xôn xao vì tin đồn.")
    assert calls == ["Ngọc Hồi"]
