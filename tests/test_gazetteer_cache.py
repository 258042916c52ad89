"""The gazetteer's disk cache: a second process gets the same gazetteer without underthesea."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nlp.gazetteer as gazetteer_module
from nlp.gazetteer import build_gazetteer, conflicting_places
from tests.helpers import ROOT, run_python_json

ARGS = ("Kon Tum", "Ngọc Hồi", ["Bờ Y"])

# Builds the analyzer from the shipped config, runs it on one text, and says whether
# underthesea was imported (its NER is not needed: the text names no ambiguous place).
_CHILD = """
import json, sys
from monitor.config import load_config
from monitor.wiring import ruleset
from nlp.analyzer import Analyzer
from nlp.gazetteer import conflicting_places
analyzer = Analyzer(ruleset(load_config(sys.argv[1])))
result = analyzer.analyze("Tin đồn lừa đảo ở thị trấn Plei Kần, huyện Ngọc Hồi.")
places = sorted({loc["unit"].split(",")[0] for loc in result.localities})
print(json.dumps({"underthesea": "underthesea" in sys.modules, "places": places,
                  "conflicts": conflicting_places("Ngọc Hồi")}))
"""


def run_child(cache: Path) -> dict[str, object]:
    return run_python_json(_CHILD, cache, str(ROOT / "config.yaml"))  # type: ignore[no-any-return]


def test_second_process_gets_the_gazetteer_without_underthesea(tmp_path: Path) -> None:
    first = run_child(tmp_path)
    assert list(tmp_path.glob("gazetteer-*.json"))
    second = run_child(tmp_path)
    assert first["underthesea"] is False  # the data file is read without importing it
    assert second["underthesea"] is False
    assert second["places"] == first["places"] == ["Huyện Ngọc Hồi", "Thị trấn Plei Kần"]
    assert second["conflicts"] == first["conflicts"] and "Thanh Trì" in first["conflicts"]


def test_importing_the_analysis_does_not_import_underthesea() -> None:
    code = "import sys, nlp.analyzer, monitor.wiring; print('underthesea' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=120,
    )
    assert done.stdout.strip() == "False"


def test_cached_gazetteer_equals_a_fresh_build(tmp_path: Path) -> None:
    fresh = build_gazetteer(*ARGS, cache_dir=tmp_path)
    [stored] = tmp_path.glob("gazetteer-*.json")
    cached = build_gazetteer(*ARGS, cache_dir=tmp_path)
    assert cached == fresh and cached is not fresh
    assert any(p.ambiguous for p in cached.places)
    names = json.loads(stored.read_text(encoding="utf-8"))["conflicts"]
    assert names["Ngọc Hồi"] == conflicting_places("Ngọc Hồi")


def test_key_holds_the_arguments_and_the_code_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_gazetteer(*ARGS, cache_dir=tmp_path)
    other = build_gazetteer("Kon Tum", "Ngọc Hồi", [], cache_dir=tmp_path)
    assert "Bờ Y" not in {p.name for p in other.places if p.level == "alias"}
    assert len(list(tmp_path.glob("gazetteer-*.json"))) == 2
    monkeypatch.setattr(gazetteer_module, "GAZETTEER_VERSION", 10**6)
    build_gazetteer(*ARGS, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("gazetteer-*.json"))) == 3


def test_key_holds_underthesea_s_mapping_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another underthesea (or the same reinstalled) rewrites the mapping file: built again."""
    mapping = tmp_path / "mapping.json"
    mapping.write_bytes(gazetteer_module._mapping_path().read_bytes())
    monkeypatch.setattr(gazetteer_module, "_mapping_path", lambda: mapping)
    cache = tmp_path / "cache"
    build_gazetteer(*ARGS, cache_dir=cache)
    build_gazetteer(*ARGS, cache_dir=cache)
    assert len(list(cache.glob("gazetteer-*.json"))) == 1
    os.utime(mapping, ns=(mapping.stat().st_atime_ns, mapping.stat().st_mtime_ns + 10**9))
    build_gazetteer(*ARGS, cache_dir=cache)
    assert len(list(cache.glob("gazetteer-*.json"))) == 2


def test_damaged_or_unwritable_cache_is_rebuilt(tmp_path: Path) -> None:
    fresh = build_gazetteer(*ARGS, cache_dir=tmp_path)
    [stored] = tmp_path.glob("gazetteer-*.json")
    stored.write_text('{"places": [{"unit": 1}]', encoding="utf-8")
    assert build_gazetteer(*ARGS, cache_dir=tmp_path) == fresh
    assert json.loads(stored.read_text(encoding="utf-8"))["places"]  # written again
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert build_gazetteer(*ARGS, cache_dir=blocked / "sub") == fresh
