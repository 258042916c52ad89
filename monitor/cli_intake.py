"""`press-monitor intake` and `press-monitor submit`: items that people bring in."""

from __future__ import annotations

import click


@click.command()
@click.pass_obj
def intake(ctx: object) -> None:
    """Read new tips from the intake mailbox (IMAP), store and analyze them."""
    from crawler.imap_intake import IntakeError
    from monitor.intake import intake_cycle
    from monitor.summary import analysis_summary

    try:
        result, acknowledged, report = intake_cycle(ctx.db, ctx.config)
    except IntakeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"tips: {result.stored} new, {result.already} already stored, "
        f"{len(result.errors)} could not be read, {acknowledged} acknowledged"
    )
    for error in result.errors:
        click.echo(f"  {error}", err=True)
    click.echo(analysis_summary(report))


@click.command()
@click.argument("target")
@click.option("--title", help="a title for a submitted text (a text has none otherwise)")
@click.pass_obj
def submit(ctx: object, target: str, title: str | None) -> None:
    """Bring in a URL (fetched and extracted) or a text, and analyze it; prints the item id
    and, when it is flagged, the alert id."""
    from monitor.analysis import analyze
    from monitor.intake import SubmitError
    from monitor.intake import submit as do_submit
    from monitor.pipeline import group_stories
    from monitor.summary import analysis_summary
    from storage.models import Alert

    try:
        submitted = do_submit(ctx.db, ctx.config, target, title=title)
    except SubmitError as exc:
        raise click.ClickException(str(exc)) from None
    state = "stored" if submitted.new else "already stored"
    label = submitted.title[:100] or "(no title)"
    click.echo(f"{state}: item #{submitted.item_id} {label} ({submitted.canonical_url})")
    click.echo(analysis_summary(analyze(ctx.db, ctx.config)))
    group_stories(ctx.db)
    with ctx.db.session() as session:
        alert = session.query(Alert).filter_by(item_id=submitted.item_id).one_or_none()
        click.echo(f"alert #{alert.id} ({alert.status})" if alert else "no alert: not flagged")
