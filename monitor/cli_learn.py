"""`press-monitor learn`: train the second opinion on the office's verdicts and seeds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click


@click.command("learn")
@click.option(
    "--seed",
    "seeds",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="labelled JSON lines (file or folder of *.jsonl, as for eval); repeatable; "
    "replaces learning.seeds",
)
@click.option(
    "--force",
    is_flag=True,
    help="store the model even if it is worse than the current one (never one no better "
    "than chance)",
)
@click.pass_obj
def learn(ctx: Any, seeds: tuple[Path, ...], force: bool) -> None:
    """Train on the verdicts (and seeds), print cross-validated figures, store the model.

    Verified false and misleading verdicts are positives; verified true and dismissed are
    negatives. The model is refused (exit 1) when it is no better than chance, or worse
    than the current model beyond learning.tolerance (unless --force).
    """
    from monitor.evaluate import EvalInputError
    from monitor.learning import describe
    from monitor.learning import learn as do_learn
    from monitor.wiring import learning_options

    options = learning_options(ctx.config, list(seeds) if seeds else None)
    try:
        outcome = do_learn(ctx.db, options, force=force)
    except EvalInputError as exc:
        where = "--seed" if seeds else "learning.seeds"
        raise click.ClickException(f"{where}: {exc}") from None
    for line in describe(outcome):
        click.echo(line)
    if outcome.refused is not None:
        kind, reason = outcome.refused
        hint = "; use --force to replace it anyway" if kind == "worse" else ""
        click.echo(f"refused: {reason}{hint}; the current model stays in force", err=True)
        sys.exit(1)
