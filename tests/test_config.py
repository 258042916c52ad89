"""config.yaml validation: good files load, bad ones are refused with the key path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.config import ConfigError, load_config
from tests.helpers import ROOT, base_config, run_cli, write_config


def problems_of(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


def test_shipped_config_is_valid() -> None:
    config = load_config(ROOT / "config.yaml")
    assert config.locality.district == "Ngọc Hồi"
    assert {"rumour", "scam", "impersonation", "denial"} <= set(config.keywords)
    assert all(s.name for s in config.sources)


def test_bad_source_url_names_its_index(tmp_path: Path) -> None:
    data = base_config()
    data["sources"][1]["url"] = "ftp://example.invalid/feed"
    data["sources"][1]["kind"] = "feed"
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = problems_of(path)
    assert problems[0][0] == "sources[1]"
    assert "http" in problems[0][1]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            lambda d: d["keywords"].update({"rumor": {"weight": 1, "words": ["x"]}}),
            "keywords.rumor",
        ),
        (lambda d: d.update({"databse_url": "sqlite://"}), "databse_url"),
        (lambda d: d["scoring"].update({"threshold": -1}), "scoring.threshold"),
        (lambda d: d["digest"].update({"schedule": "every day"}), "digest.schedule"),
        (lambda d: d["digest"].update({"timezone": "Mars/Olympus"}), "digest.timezone"),
        (lambda d: d["regex_rules"][0].update({"pattern": "(unclosed"}), "regex_rules[0].pattern"),
        (
            lambda d: d["sources"][0].update({"schedule": {"cron": "61 * * * *"}}),
            "sources[0].schedule",
        ),
        (lambda d: d["locality"].update({"district": "Không Có"}), "locality"),
        (lambda d: d.update({"analysts": ["not-an-email"]}), "analysts[0]"),
        (lambda d: d["regex_rules"][0].update({"pattern": "(a+)+$"}), "regex_rules[0].pattern"),
        (
            lambda d: d.update(
                {"rules": [{"name": "x", "category": "scam", "query": '"a" NEAR/3 NOT b'}]}
            ),
            "rules[0].query",
        ),
        (
            lambda d: d.update({"rules": [{"name": "x", "category": "rumor", "query": "a"}]}),
            "rules[0].category",
        ),
        (lambda d: d.update({"disabled_rules": ["no_such_rule"]}), "disabled_rules"),
        (lambda d: d.update({"rule_packs": ["no-such-pack"]}), "rule_packs"),
        # a pack is named, not a path: neither may reach a file outside the shipped packs
        (lambda d: d.update({"rule_packs": ["../packs/vi-default"]}), "rule_packs"),
        (
            lambda d: d.update({"rule_packs": [str(ROOT / "monitor" / "packs" / "vi-default")]}),
            "rule_packs",
        ),
    ],
)
def test_bad_values_are_refused_with_their_path(tmp_path: Path, change, key: str) -> None:
    data = base_config()
    change(data)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = problems_of(path)
    assert key in [p[0] for p in problems], problems


def test_duplicate_source_names_are_refused(tmp_path: Path) -> None:
    data = base_config()
    data["sources"].append(dict(data["sources"][0]))
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "duplicate source name" in problems_of(path)[0][1]


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("locality:\n  name: x\n  province: [unclosed\n", encoding="utf-8")
    ((_key, reason),) = problems_of(path)
    assert "line" in reason and "invalid YAML" in reason


def test_missing_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope.yaml") == [("", "file not found")]


def test_database_url_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path / "c.yaml")
    monkeypatch.setenv("PRESS_MONITOR_DATABASE_URL", "sqlite:///elsewhere.db")
    assert load_config(path).database_url == "sqlite:///elsewhere.db"


def test_smtp_password_only_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    smtp = {
        "host": "127.0.0.1",
        "port": 2525,
        "tls": "none",
        "sender": "pm@example.invalid",
        "user": "pm",
        "password_env": "PM_TEST_SMTP_PASSWORD",
    }
    path = write_config(tmp_path / "c.yaml", smtp=smtp)
    monkeypatch.setenv("PM_TEST_SMTP_PASSWORD", "s3cret")
    assert load_config(path).smtp.password() == "s3cret"
    smtp["password"] = "inline"
    path = write_config(tmp_path / "c2.yaml", smtp=smtp)
    assert ("smtp.password", "Extra inputs are not permitted") in problems_of(path)


def test_cli_config_check_reports_without_traceback(tmp_path: Path) -> None:
    data = base_config()
    data["sources"][2]["kind"] = "carrier-pigeon"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run_cli("--config", str(path), "config", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert "sources[2].kind" in result.stderr
    assert "Traceback" not in result.stderr

    good = run_cli("--config", str(ROOT / "config.yaml"), "config", "check", cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert "OK" in good.stdout


def test_a_bad_query_names_the_rule_and_the_column(tmp_path: Path) -> None:
    rules = [
        {"name": "fine", "category": "scam", "query": '"lừa đảo" NEAR/5 "chuyển khoản"'},
        {"name": "broken", "category": "scam", "query": '"giả danh" công an'},
    ]
    path = write_config(tmp_path / "c.yaml", rules=rules)
    ((key, reason),) = problems_of(path)
    assert key == "rules[1].query"
    assert "column 12" in reason and "without an operator" in reason
    result = run_cli("--config", str(path), "config", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert "rules[1].query" in result.stderr and "column 12" in result.stderr


def test_own_rules_replace_and_disable_pack_rules(tmp_path: Path) -> None:
    from monitor.rule_packs import effective_rules, load_pack

    pack = {rule.name for rule in load_pack("vi-default")}
    assert {"pretend_official_money", "dam_break_rumour", "easy_job_deposit"} <= pack
    own = {"name": "dam_break_rumour", "category": "disaster", "query": '"vỡ đập"', "weight": 1}
    path = write_config(tmp_path / "c.yaml", rules=[own], disabled_rules=["easy_job_deposit"])
    rules = {rule.name: rule for rule in effective_rules(load_config(path))}
    assert "easy_job_deposit" not in rules
    assert rules["dam_break_rumour"].query == '"vỡ đập"'
    assert len(rules) == len(pack) - 1


def test_every_shipped_pack_query_parses() -> None:
    """Commands load packs without parsing their queries (start-up); this test parses them."""
    from monitor.rule_packs import available_packs, load_pack
    from nlp.query import parse_query

    for pack in available_packs():
        for rule in load_pack(pack):
            parse_query(rule.query)
