"""The rules of a validated config kept between runs of `analyze-text` (monitor/rule_cache.py).

The cache may only save time: a config edited since is validated again and its rules used,
a bad config is refused as always, and a damaged cache file is never trusted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from monitor import rule_cache
from monitor.config import load_config
from monitor.rule_cache import cached_ruleset
from monitor.wiring import ruleset
from tests.helpers import run_cli, run_python_json, write_config

# Runs `press-monitor --config PATH analyze-text` through the launcher on one line and
# reports whether it validated the config (pydantic, PyYAML, the models) and which other
# modules it loaded that a command with its caches filled has no use for.
_ANALYZE = """
import io, json, sys
import monitor.launch
sys.argv = ["press-monitor", "--config", sys.argv[1], "analyze-text"]
sys.stdin = io.StringIO(sys.argv[2] + "\\n")
try:
    monitor.launch.main()
except SystemExit as exc:
    code = exc.code
print()
print(json.dumps({"code": code, "validated": sorted(
    m for m in ("pydantic", "yaml", "monitor.config") if m in sys.modules), "idle": sorted(
    m for m in ("importlib.metadata", "importlib.resources", "tempfile") if m in sys.modules)}))
"""

LINE = {"id": 1, "title": "Cảnh báo", "text": "Tin đồn ở Kon Tum: có người bị lừa chuyển tiền."}


def _analyze(config: Path, *lines: dict[str, object]) -> tuple[int, list[dict[str, object]], str]:
    stdin = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    done = run_cli("--config", str(config), "analyze-text", cwd=config.parent, stdin=stdin)
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, answers, done.stderr


def _rules_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("rules-*.json"))


def test_a_second_run_takes_its_rules_from_the_cache_without_validating(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml")
    cache = Path(os.environ["PRESS_MONITOR_CACHE"])
    line = json.dumps(LINE, ensure_ascii=False)
    first = run_python_json(_ANALYZE, cache, str(config), line)
    second = run_python_json(_ANALYZE, cache, str(config), line)
    assert first["code"] == second["code"] == 0
    assert first["validated"] == ["monitor.config", "pydantic", "yaml"]
    # and the caches read without their writer (tempfile), the look-alike data found
    # without importlib.resources, no package metadata read
    assert second == {"code": 0, "validated": [], "idle": []}


def test_the_cached_rules_are_the_validated_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESS_MONITOR_CACHE", str(tmp_path / "cache"))
    config = write_config(tmp_path / "config.yaml")
    built = ruleset(load_config(config))
    assert cached_ruleset(config, lambda: built) is built  # a miss: built and stored
    (stored,) = _rules_files(tmp_path / "cache")

    def no_build() -> None:
        raise AssertionError("the cached rules should have been used")

    again = cached_ruleset(config, no_build)  # type: ignore[arg-type]
    assert again == built
    assert again.version == built.version
    assert _rules_files(tmp_path / "cache") == [stored]


def test_an_edited_config_is_validated_again_and_its_rules_used(tmp_path: Path) -> None:
    line = {"id": 1, "title": "", "text": "Ở Kon Tum người ta đang bàn về chuyện cá sấu bay."}
    config = write_config(tmp_path / "config.yaml")
    code, (answer,), _ = _analyze(config, line)
    assert code == 0 and answer["matches"] == []

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["keywords"]["rumour"]["words"].append("cá sấu bay")
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, (answer,), _ = _analyze(config, line)
    assert code == 0
    assert [m["surface"] for m in answer["matches"]] == ["cá sấu bay"]

    data["scoring"]["threshold"] = "high"  # refused, whatever the cache holds
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, answers, stderr = _analyze(config, line)
    assert code == 2 and answers == []
    assert "scoring.threshold" in stderr


def test_a_damaged_cache_file_is_not_trusted(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml")
    code, expected, _ = _analyze(config, LINE)
    assert code == 0
    assert "rumour:tin đồn" in [m["rule"] for m in expected[0]["matches"]]
    stored = rule_cache.cache_file(config)

    data = json.loads(stored.read_text(encoding="utf-8"))
    data["rules"]["keywords"] = []  # edited without its digest: every keyword gone
    stored.write_text(json.dumps(data), encoding="utf-8")
    code, answers, stderr = _analyze(config, LINE)
    assert (code, answers) == (0, expected)
    assert "damaged" in stderr

    stored.write_text('{"key": ', encoding="utf-8")  # cut short
    code, answers, _ = _analyze(config, LINE)
    assert (code, answers) == (0, expected)


def test_the_key_follows_the_config_the_code_and_the_packs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "install"
    for package in ("monitor", "monitor/packs", "nlp"):
        (root / package).mkdir(parents=True)
    (root / "monitor" / "config.py").write_text("# models\n")
    (root / "monitor" / "packs" / "vi-default.yaml").write_text("rules: []\n")
    (root / "nlp" / "query.py").write_text("# parser\n")
    config = tmp_path / "config.yaml"
    config.write_text("keywords: {}\n")
    monkeypatch.setattr(rule_cache, "_ROOT", root)
    keys = [rule_cache._key(config)]

    def changed(path: Path, text: str) -> None:
        path.write_text(text)
        keys.append(rule_cache._key(config))

    changed(config, "keywords: {a: {words: [b]}}\n")
    changed(root / "monitor" / "config.py", "# models, another release\n")
    changed(root / "monitor" / "packs" / "vi-default.yaml", "rules: [1]\n")
    changed(root / "nlp" / "query.py", "# parser v2\n")
    changed(root / "nlp" / "new_module.py", "")
    os.utime(root / "nlp" / "query.py", ns=(1, 1))  # the same bytes, reinstalled
    keys.append(rule_cache._key(config))
    assert None not in keys
    assert len(set(keys)) == len(keys)
    assert rule_cache._key(tmp_path / "missing.yaml") is None
