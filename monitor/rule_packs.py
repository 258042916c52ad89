"""Rule packs: rules shipped with press-monitor, which config.yaml switches on by name.

Ops should not have to write a hundred queries to catch the common frauds and rumours that
Vietnamese police and press describe; the default pack carries them, and config.yaml keeps
only the office's own additions. A pack is a YAML file of rules in the same shape as
config.yaml's ``rules:``, validated by the same model. In config.yaml, ``rule_packs`` names
the packs in use, ``disabled_rules`` switches single pack rules off, and a rule of the
office's own with a pack rule's name replaces it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import TypeAdapter, ValidationError

if TYPE_CHECKING:
    from monitor.config import Config, QueryRule

PACKS_DIR = Path(__file__).parent / "packs"
_PACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class PackError(ValueError):
    """A pack that is missing or invalid; the message names the file and the key."""


def available_packs() -> list[str]:
    return sorted(p.stem for p in PACKS_DIR.glob("*.yaml"))


@cache
def load_pack(name: str) -> tuple[QueryRule, ...]:
    from monitor.config import QueryRule, _key_path, read_yaml

    path = PACKS_DIR / f"{name}.yaml"
    if not _PACK_NAME.fullmatch(name) or not path.is_file():  # a name, never a path
        raise PackError(f"unknown rule pack {name!r} (available: {', '.join(available_packs())})")
    try:
        raw = read_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PackError(f"rule pack {path.name}: invalid YAML: {exc}") from None
    try:
        rules = TypeAdapter(list[QueryRule]).validate_python(
            raw.get("rules", []), context={"shipped_pack": True}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _key_path(("rules", *first["loc"]))
        raise PackError(f"rule pack {path.name}: {where}: {first['msg']}") from None
    return tuple(rules)


def effective_rules(config: Config) -> list[QueryRule]:
    """Pack rules in pack order, minus the disabled ones, with the office's own rules last
    (an own rule named like a pack rule takes its place)."""
    own = {rule.name: rule for rule in config.rules}
    rules: dict[str, QueryRule] = {}
    for pack in config.rule_packs:
        for rule in load_pack(pack):
            rules[rule.name] = rule
    unknown = sorted(set(config.disabled_rules) - set(rules) - set(own))
    if unknown:
        raise PackError(f"disabled_rules names unknown rules: {', '.join(unknown)}")
    for name in config.disabled_rules:
        rules.pop(name, None)
    for name, rule in own.items():
        if name not in config.disabled_rules:
            rules[name] = rule
    return list(rules.values())
