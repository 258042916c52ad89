"""Many localities: the `localities:` config (and the single `locality:` as one of them),
`locality find`, and one tagging pass over all of them that decides shared names by context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.config import load_config
from monitor.wiring import ruleset
from nlp.analyzer import Analyzer
from nlp.rules import LocalitySpec, RuleSet
from tests.helpers import ROOT, base_config, run_cli
from tests.test_config import problems_of

BO_Y = {
    "key": "bo-y",
    "name": "Xã Bờ Y",
    "province": "Quảng Ngãi",
    "communes": ["Bờ Y"],
    "analysts": ["boy@example.invalid"],
}
SA_LOONG = {
    "key": "sa-loong",
    "name": "Xã Sa Loong",
    "province": "Quảng Ngãi",
    "communes": ["Sa Loong"],
    "analysts": ["saloong@example.invalid"],
}


def with_localities(tmp_path: Path, localities: list[dict[str, Any]], **overrides: Any) -> Path:
    """The shipped config with `localities:` instead of its `locality:` section."""
    data = base_config()
    del data["locality"]
    data.update(localities=localities, **overrides)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_single_locality_is_the_default_entry() -> None:
    config = load_config(ROOT / "config.yaml")
    [entry] = config.watched()
    assert (entry.key, entry.district, entry.analysts) == ("default", "Ngọc Hồi", [])
    assert [spec.key for spec in ruleset(config).localities] == ["default"]


def test_localities_by_district_and_by_communes(tmp_path: Path) -> None:
    district = {"key": "ngoc-hoi-cu", "name": "Ngọc Hồi cũ", "province": "Kon Tum"}
    district["district"] = "Ngọc Hồi"
    config = load_config(with_localities(tmp_path, [BO_Y, SA_LOONG, district]))
    assert [loc.key for loc in config.watched()] == ["bo-y", "sa-loong", "ngoc-hoi-cu"]
    assert config.watched()[0].analysts == ["boy@example.invalid"]
    specs = ruleset(config).localities
    assert specs[1] == LocalitySpec("Quảng Ngãi", None, key="sa-loong", communes=("Sa Loong",))


@pytest.mark.parametrize(
    ("localities", "path", "reason"),
    [
        ([BO_Y, {**SA_LOONG, "key": "bo-y"}], "localities[1].key", "duplicate key 'bo-y'"),
        ([{**BO_Y, "key": "Bờ Y"}], "localities[0].key", "should match pattern"),
        ([{**BO_Y, "communes": ["Bờ Z"]}], "localities[0]", "no commune or ward 'Bờ Z'"),
        ([{**BO_Y, "district": "Ngọc Hồi"}], "localities[0]", "either district"),
        ([{**BO_Y, "analysts": ["not-an-email"]}], "localities[0].analysts[0]", "pattern"),
        ([{**BO_Y, "province": "Kon Tum"}], "localities[0]", "no province 'Kon Tum'"),
    ],
)
def test_bad_localities_are_refused_with_their_key_path(
    tmp_path: Path, localities: list[dict[str, Any]], path: str, reason: str
) -> None:
    problems = problems_of(with_localities(tmp_path, localities))
    assert any(key == path and reason in why for key, why in problems), problems


def test_locality_and_localities_together_are_refused(tmp_path: Path) -> None:
    data = base_config()
    data["localities"] = [BO_Y]
    path = tmp_path / "both.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any("not both" in why for _, why in problems_of(path))


def test_config_check_names_the_duplicate_key(tmp_path: Path) -> None:
    path = with_localities(tmp_path, [BO_Y, {**SA_LOONG, "key": "bo-y"}])
    done = run_cli("--config", str(path), "config", "check", cwd=tmp_path)
    assert done.returncode == 2
    assert "localities[1].key: duplicate key 'bo-y' (first at localities[0].key)" in done.stderr


def test_locality_find_without_diacritics(tmp_path: Path) -> None:
    done = run_cli("locality", "find", "ngoc hoi", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # the current commune of Hà Nội, with what ops copy and its former district
    assert "commune (current): Xã Ngọc Hồi, Thành phố Hà Nội" in out
    assert 'province: "Hà Nội"\n    communes: ["Ngọc Hồi"]' in out
    assert "former district: Huyện Thanh Trì, Thành phố Hà Nội" in out
    # the former district of Kon Tum, by its old names and by the communes that replaced it
    assert "district (before 2025-07-01): Huyện Ngọc Hồi, Tỉnh Kon Tum" in out
    assert 'province: "Kon Tum"\n    district: "Ngọc Hồi"' in out
    assert 'province: "Quảng Ngãi"\n    communes: ["Bờ Y", "Dục Nông", "Sa Loong"]' in out
    missing = run_cli("locality", "find", "khong co xa nay", cwd=tmp_path)
    assert missing.returncode == 1 and "no administrative unit" in missing.stderr


@pytest.fixture(scope="module")
def two_ngoc_hoi() -> Analyzer:
    """Two watched units named Ngọc Hồi: the former district of Kon Tum (now the communes of
    Quảng Ngãi below) and the current commune of Hà Nội; and Bờ Y, Sa Loong on their own."""
    return Analyzer(
        RuleSet(
            (
                LocalitySpec(
                    "Quảng Ngãi", key="ngoc-hoi-cu", communes=("Bờ Y", "Dục Nông", "Sa Loong")
                ),
                LocalitySpec("Hà Nội", key="ngoc-hoi-hn", communes=("Ngọc Hồi",)),
                LocalitySpec("Quảng Ngãi", key="bo-y", communes=("Bờ Y",)),
                LocalitySpec("Quảng Ngãi", key="sa-loong", communes=("Sa Loong",)),
            )
        )
    )


def tagged(analyzer: Analyzer, text: str) -> list[tuple[str, str, list[str]]]:
    return [
        (m["unit"], m["surface"], m["locality_keys"]) for m in analyzer.analyze(text).localities
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Người dân Ngọc Hồi (Kon Tum cũ) phản ánh tin đồn về dịch bệnh.",
            [("Huyện Ngọc Hồi, Tỉnh Kon Tum", "Ngọc Hồi", ["ngoc-hoi-cu"])],
        ),
        (
            "Tại Ngọc Hồi, gần Văn Điển, Hà Nội, xảy ra vụ lừa đảo.",
            [("Xã Ngọc Hồi, Thành phố Hà Nội", "Ngọc Hồi", ["ngoc-hoi-hn"])],
        ),
        (
            "Công an xã Ngọc Hồi cho biết đã bắt đối tượng.",
            [("Xã Ngọc Hồi, Thành phố Hà Nội", "xã Ngọc Hồi", ["ngoc-hoi-hn"])],
        ),
        (
            "UBND huyện Ngọc Hồi trước khi sáp nhập đã cảnh báo.",
            [("Huyện Ngọc Hồi, Tỉnh Kon Tum", "huyện Ngọc Hồi", ["ngoc-hoi-cu"])],
        ),
        # the nearest support decides: Plei Kần (Kon Tum) is nearer than Hà Nội
        (
            "Hà Nội đưa tin: ở thị trấn Plei Kần, Ngọc Hồi có người bị lừa.",
            [
                ("Thị trấn Plei Kần, Huyện Ngọc Hồi", "thị trấn Plei Kần", ["bo-y", "ngoc-hoi-cu"]),
                ("Huyện Ngọc Hồi, Tỉnh Kon Tum", "Ngọc Hồi", ["ngoc-hoi-cu"]),
            ],
        ),
        ("Tin đồn ở Ngọc Hồi lan nhanh.", []),  # no context: neither
        (
            "Xã Sa Loong và xã Bờ Y",
            [
                ("Xã Sa Loong, Tỉnh Quảng Ngãi", "Xã Sa Loong", ["ngoc-hoi-cu", "sa-loong"]),
                ("Xã Bờ Y, Tỉnh Quảng Ngãi", "xã Bờ Y", ["bo-y", "ngoc-hoi-cu"]),
            ],
        ),
    ],
)
def test_shared_name_decided_by_context_in_one_pass(
    two_ngoc_hoi: Analyzer, text: str, expected: list[tuple[str, str, list[str]]]
) -> None:
    assert tagged(two_ngoc_hoi, text) == expected


def test_all_localities_share_one_automaton(two_ngoc_hoi: Analyzer) -> None:
    """Every name of every locality is in the tagger's single matcher."""
    folded = two_ngoc_hoi.document("Plei Kần, Liên Ninh, Đăk Kan")
    names = {hit.payload.place.name for hit in two_ngoc_hoi.tagger._matcher.find(folded)}
    assert names == {"Plei Kần", "Liên Ninh", "Đăk Kan"}


def test_every_locality_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A later build of the same localities reads no administrative data: one cached
    gazetteer per locality."""
    import nlp.gazetteer as gazetteer_module

    monkeypatch.setenv("PRESS_MONITOR_CACHE", str(tmp_path))
    config = load_config(with_localities(tmp_path, [BO_Y, SA_LOONG]))
    first = Analyzer(ruleset(config))
    assert len(list(tmp_path.glob("gazetteer-*.json"))) == 2
    gazetteer_module._mapping.cache_clear()
    second = Analyzer(ruleset(config))
    assert gazetteer_module._mapping.cache_info().misses == 0
    text = "Xã Sa Loong và thị trấn Plei Kần"
    assert second.analyze(text).localities == first.analyze(text).localities
