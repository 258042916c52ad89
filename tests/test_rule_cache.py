"""The rules of a validated config kept between runs of `analyze-text` (monitor/rule_cache.py).

The cache may only save time: a config edited since is validated again and its rules used,
a bad config is refused as always, and a damaged cache file is never trusted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from monitor import rule_cache
from monitor.config import load_config
from monitor.rule_cache import cached_ruleset
from monitor.wiring import ruleset
from nlp.rules import RuleSet
from tests.helpers import ROOT, run_cli, run_python_json, write_config

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
    assert cached_ruleset(config, lambda content: built) is built  # a miss: built and stored
    (stored,) = _rules_files(tmp_path / "cache")
    again = cached_ruleset(config, _no_build)
    assert again == built
    assert again.version == built.version
    assert _rules_files(tmp_path / "cache") == [stored]


def _no_build(content: bytes | None) -> RuleSet:
    raise AssertionError("the cached rules should have been used")


def test_the_rules_kept_are_those_of_the_bytes_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The config is read once: the bytes that make the key are the bytes validated, so a
    save during validation cannot file one config's rules under another's key."""
    monkeypatch.setenv("PRESS_MONITOR_CACHE", str(tmp_path / "cache"))
    config = write_config(tmp_path / "config.yaml")
    first_bytes = config.read_bytes()
    data = yaml.safe_load(first_bytes)
    data["keywords"]["rumour"]["weight"] = 9.0
    saved_meanwhile = yaml.safe_dump(data, allow_unicode=True).encode()

    def build(content: bytes | None) -> RuleSet:
        config.write_bytes(saved_meanwhile)
        return ruleset(load_config(config, content))

    first = cached_ruleset(config, build)
    assert {k.weight for k in first.keywords if k.category == "rumour"} == {2.0}
    config.write_bytes(first_bytes)  # back to what was validated: its own rules
    assert cached_ruleset(config, _no_build) == first


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
    for package in ("monitor", "monitor/packs", "nlp", "alerts"):
        (root / package).mkdir(parents=True)
    (root / "monitor" / "config.py").write_text("# models\n")
    pack = root / "monitor" / "packs" / "vi-default.yaml"
    pack.write_text("rules: [a]\n")
    (root / "nlp" / "query.py").write_text("# parser\n")
    (root / "alerts" / "crontab.py").write_text("# cron\n")
    monkeypatch.setattr(rule_cache, "_ROOT", root)
    monkeypatch.setattr(rule_cache, "_PACKS", root / "monitor" / "packs")
    monkeypatch.delenv("PRESS_MONITOR_DATABASE_URL", raising=False)
    content = b"keywords: {}\n"
    keys = [rule_cache._key(content)]

    def changed(path: Path, text: str) -> None:
        path.write_text(text)
        keys.append(rule_cache._key(content))

    content = b"keywords: {a: {words: [b]}}\n"
    keys.append(rule_cache._key(content))
    changed(root / "monitor" / "config.py", "# models, another release\n")
    changed(root / "nlp" / "query.py", "# parser v2\n")
    changed(root / "nlp" / "new_module.py", "")
    changed(root / "alerts" / "crontab.py", "# cron v2\n")
    os.utime(root / "nlp" / "query.py", ns=(1, 1))  # the same bytes, reinstalled
    keys.append(rule_cache._key(content))
    stat = pack.stat()
    pack.write_text("rules: [b]\n")  # the same size, its time kept (as some installs do)
    os.utime(pack, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    keys.append(rule_cache._key(content))
    monkeypatch.setenv("PRESS_MONITOR_DATABASE_URL", "sqlite:///elsewhere.db")
    keys.append(rule_cache._key(content))
    monkeypatch.setattr(rule_cache, "_ROOT", tmp_path / "another-install")
    keys.append(rule_cache._key(content))
    assert len(set(keys)) == len(keys)


def test_rules_built_while_the_code_changed_are_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESS_MONITOR_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "install"
    (root / "nlp").mkdir(parents=True)
    monkeypatch.setattr(rule_cache, "_ROOT", root)
    config = write_config(tmp_path / "config.yaml")
    built = ruleset(load_config(config))

    def upgraded_meanwhile(content: bytes | None) -> RuleSet:
        (root / "nlp" / "query.py").write_text("# the next release\n")
        return built

    assert cached_ruleset(config, upgraded_meanwhile) is built
    assert _rules_files(tmp_path / "cache") == []


def test_a_config_read_from_a_pipe_is_read_once(tmp_path: Path) -> None:
    """`--config <(...)`: the bytes read for the key are the bytes validated."""
    text = write_config(tmp_path / "config.yaml").read_text(encoding="utf-8")
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w", encoding="utf-8") as pipe:
            pipe.write(text)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    stdin = json.dumps(LINE, ensure_ascii=False) + "\n"
    done = run_cli("--config", str(fifo), "analyze-text", cwd=tmp_path, stdin=stdin, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "rumour:tin đồn" in [m["rule"] for m in json.loads(done.stdout)["matches"]]


def test_no_working_folder_means_no_cache_not_an_error(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml")
    gone = tmp_path / "gone"
    gone.mkdir()
    stdin = json.dumps(LINE, ensure_ascii=False) + "\n"
    code = (
        "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
        "sys.argv = ['press-monitor', '--config', sys.argv[2], 'analyze-text']; "
        "import monitor.launch; monitor.launch.main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(gone), str(config)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["matches"]
