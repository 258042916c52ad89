"""`press-monitor bulletin` and `press-monitor report`: what the office sends out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.command()
@click.option("--dry-run", is_flag=True, help="print the bulletin a period closed now would carry")
@click.pass_obj
def bulletin(ctx: Any, dry_run: bool) -> None:
    """Send the press bulletin now to each opted-in press contact (and finish deliveries
    left open); exit 1 when a delivery failed, was refused or is uncertain."""
    from alerts.bulletin import preview, render_bulletin, run_bulletin
    from monitor.wiring import bulletin_options

    options = bulletin_options(ctx.config, Path.cwd())
    if dry_run:
        view = preview(ctx.db, options)
        _subject, text, _html = render_bulletin(view)
        click.echo(f"dry run: {view.count} entries, to {len(options.contacts)} contacts:")
        for contact in options.contacts:
            click.echo(f"  {contact.newsroom} <{contact.email}>")
        click.echo(text)
        return
    if not options.contacts:
        click.echo("bulletin: no press contact has opted in (press_contacts in config.yaml)")
    outcome = run_bulletin(ctx.db, options, force=True)
    if outcome.bulletin_id is not None:
        click.echo(f"bulletin #{outcome.bulletin_id}: {outcome.entries} entries ({outcome.state})")
    for state, emails in sorted(outcome.deliveries.items()):
        click.echo(f"  {state}: {', '.join(emails)}")
    for error in outcome.errors:
        click.echo(f"  error: {error}", err=True)
    if set(outcome.deliveries) & {"failed", "uncertain", "rejected"}:
        raise SystemExit(1)


@click.command()
@click.option(
    "--period",
    required=True,
    metavar="week|month|YYYY-MM",
    help="the last 7 days, the last 30 days, or a calendar month",
)
@click.option(
    "--locality", metavar="KEY", help="the locality reported on (key; default: all watched)"
)
@click.option(
    "--format", "fmt", type=click.Choice(["docx", "pdf"]), default="docx", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="file to write (default: the report's name in the current folder)",
)
@click.pass_obj
def report(ctx: Any, period: str, locality: str | None, fmt: str, output: Path | None) -> None:
    """Write the report upward (Word or PDF) and keep it for the review pages."""
    from alerts.report import ReportError, make_report, parse_period
    from monitor.wiring import locality_name, report_options
    from storage.models import utcnow

    known = {loc.key: loc.name for loc in ctx.config.watched()}
    if locality is not None and locality not in known:
        raise click.UsageError(f"unknown locality {locality!r}; known: {', '.join(known)}")
    name = known[locality] if locality is not None else locality_name(ctx.config)
    try:
        span = parse_period(period, utcnow())
        number, filename, content = make_report(
            ctx.db,
            report_options(ctx.config),
            span,
            name,
            fmt,
            allowed=[locality] if locality is not None else None,
        )
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    target = output or Path(filename)
    target.write_bytes(content)
    click.echo(f"report #{number} ({span.label}, {fmt}): {target} ({len(content)} bytes)")
