"""`press-monitor locality find`: names of administrative units as config.yaml wants them."""

from __future__ import annotations

import json
from dataclasses import asdict

import click


@click.group("locality")
def locality_group() -> None:
    """Vietnam's administrative units, old and new (underthesea's 2025 mapping)."""


@locality_group.command("find")
@click.argument("text")
@click.option("--limit", default=20, show_default=True, help="units shown per kind")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per unit")
def find(text: str, limit: int, as_json: bool) -> None:
    """Units whose name contains TEXT (with or without diacritics): current communes with
    the former units merged into them, former districts and communes with what replaced
    them, and the `localities:` keys to copy into config.yaml. Exit 1 when none is found."""
    from nlp.admin_units import find_units, format_hits

    hits = find_units(text, limit)
    if not hits:
        click.echo(f"no administrative unit named like {text!r}", err=True)
        raise SystemExit(1)
    if as_json:
        for hit in hits:
            click.echo(json.dumps(asdict(hit), ensure_ascii=False))
    else:
        click.echo(format_hits(hits))
