"""`press-monitor eval` and `press-monitor rules ...`: how good the rules are.

Kept apart from the other commands because they answer one question for ops: what do the
rules catch, on the labelled set (eval) and in the office's own verdicts (rules report).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


@click.command("eval")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--floors",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file of minimum figures; exit 1 when any figure falls below its floor",
)
@click.option("--json", "as_json", is_flag=True, help="print the whole report as JSON")
@click.option("--no-misses", is_flag=True, help="do not list the cases the rules got wrong")
@click.pass_obj
def eval_command(
    ctx: Any, paths: tuple[Path, ...], floors: Path | None, as_json: bool, no_misses: bool
) -> None:
    """Precision and recall on labelled JSON lines (files or folders of *.jsonl).

    Rows are as for analyze-text plus "ours" and "flag" (and optionally "claim" and
    "topics"). Figures: locality, flag, claim; per topic; per rule, with its hits on
    negative cases; and the misses.
    """
    from monitor.evaluate import (
        EvalInputError,
        below_floors,
        evaluate,
        format_report,
        read_cases,
    )
    from monitor.wiring import ruleset
    from nlp.analyzer import Analyzer

    try:
        cases = read_cases(paths)
        limits = json.loads(floors.read_text(encoding="utf-8")) if floors else {}
    except (EvalInputError, json.JSONDecodeError) as exc:
        raise click.ClickException(str(exc)) from None
    if not cases:
        raise click.ClickException("no labelled rows found in " + ", ".join(map(str, paths)))
    report = evaluate(Analyzer(ruleset(ctx.config)), cases)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report, show_misses=not no_misses))
    try:
        failures = below_floors(report, limits)
    except EvalInputError as exc:
        raise click.ClickException(str(exc)) from None
    if failures:
        for line in failures:
            click.echo(f"below floor: {line}", err=True)
        sys.exit(1)


@click.group("rules")
def rules_group() -> None:
    """The rules in force and how they fare."""


@rules_group.command("report")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one per rule")
@click.pass_obj
def rules_report(ctx: Any, as_json: bool) -> None:
    """Per rule: alerts it contributed to, verdicts, and precision (worst first)."""
    from alerts.rule_report import rule_verdicts

    with ctx.db.session() as session:
        rows = rule_verdicts(session)
    if as_json:
        for row in rows:
            click.echo(json.dumps(_as_dict(row), ensure_ascii=False))
        return
    if not rows:
        click.echo("no alerts yet")
        return
    click.echo(
        f"{'rule':40} {'alerts':>6} {'open':>5} {'true':>5} {'false':>5} "
        f"{'mislead':>7} {'dismiss':>7} {'precision':>9}"
    )
    for row in rows:
        precision = "-" if row.precision is None else f"{row.precision:.2f}"
        mark = "  <- mostly dismissed" if row.mostly_dismissed else ""
        click.echo(
            f"{row.rule:40} {row.alerts:6} {row.open:5} {row.verified_true:5} "
            f"{row.verified_false:5} {row.misleading:7} {row.dismissed:7} {precision:>9}{mark}"
        )


@rules_group.command("list")
@click.pass_obj
def rules_list(ctx: Any) -> None:
    """The query rules in force (packs, minus disabled, plus the office's own)."""
    from monitor.rule_packs import effective_rules

    for rule in effective_rules(ctx.config):
        click.echo(f"{rule.name:36} {rule.category:15} {rule.weight:5.1f}  {rule.description}")


def _as_dict(row: Any) -> dict[str, Any]:
    return {
        "rule": row.rule,
        "alerts": row.alerts,
        "open": row.open,
        "verified_true": row.verified_true,
        "verified_false": row.verified_false,
        "misleading": row.misleading,
        "dismissed": row.dismissed,
        "precision": None if row.precision is None else round(row.precision, 3),
        "mostly_dismissed": row.mostly_dismissed,
    }
