"""`press-monitor alerts ...`: the analysts' queue on the command line."""

from __future__ import annotations

import getpass
import json
from datetime import datetime

import click

from alerts.export import export_rows, write_export
from alerts.labels import CATEGORY_LABELS
from alerts.queue import (
    STATUSES,
    TransitionError,
    Verdict,
    change_status,
    claim_next,
    set_published,
)
from alerts.scores import format_score
from alerts.views import alert_detail, list_alerts


@click.group()
def alerts() -> None:
    """List, show and record verdicts on alerts."""


@alerts.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="only this status")
@click.option("--category", type=click.Choice(sorted(CATEGORY_LABELS)), help="only this category")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="created on or after (UTC date)")
@click.option("--locality", help="unit name contains this text (diacritics and case ignored)")
@click.option("--search", help="title or text contains this (diacritics and case ignored)")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines")
@click.pass_obj
def list_cmd(
    ctx: object,
    status: str | None,
    category: str | None,
    since: datetime | None,
    locality: str | None,
    search: str | None,
    limit: int,
    as_json: bool,
) -> None:
    from nlp.normalize import fold

    rows = list_alerts(
        ctx.db,
        status=status,
        category=category,
        since=since,
        locality=locality,
        search=search,
        limit=limit,
        fold=fold,
    )
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    if not rows:
        click.echo("no alerts")
    for row in rows:
        click.echo(
            f"#{row['id']:<5} {row['status']:<14} {format_score(row['score']):>5}  "
            f"{','.join(row['categories']):<24} {row['source']:<22} {row['title'][:70]}"
        )


@alerts.command("show")
@click.argument("alert_id", type=int)
@click.pass_obj
def show_cmd(ctx: object, alert_id: int) -> None:
    detail = alert_detail(ctx.db, alert_id)
    if detail is None:
        raise click.ClickException(f"alert {alert_id} does not exist")
    click.echo(detail)


@alerts.command("verdict")
@click.argument("alert_id", type=int)
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--note", help="what was found")
@click.option("--clarification", help="the office's clarification (false or misleading)")
@click.option("--link", help="link to the published clarification")
@click.option("--actor", default=getpass.getuser, show_default="current user")
@click.pass_obj
def verdict_cmd(
    ctx: object,
    alert_id: int,
    status: str,
    note: str | None,
    clarification: str | None,
    link: str | None,
    actor: str,
) -> None:
    try:
        with ctx.db.session() as session:
            alert = change_status(
                session, alert_id, Verdict(status, actor, note, clarification, link)
            )
            click.echo(f"alert #{alert.id} is now {alert.status}")
    except TransitionError as exc:
        raise click.ClickException(str(exc)) from None


@alerts.command("publish")
@click.argument("alert_id", type=int)
@click.option("--withdraw", is_flag=True, help="take the clarification off the public page")
@click.option("--actor", default=getpass.getuser, show_default="current user")
@click.pass_obj
def publish_cmd(ctx: object, alert_id: int, withdraw: bool, actor: str) -> None:
    """Publish a false or misleading verdict's clarification on the public page and feed."""
    try:
        with ctx.db.session() as session:
            alert = set_published(session, alert_id, not withdraw, actor)
            state = "published" if alert.published_at else "not published"
            click.echo(f"alert #{alert.id}: clarification {state}")
    except TransitionError as exc:
        raise click.ClickException(str(exc)) from None


@alerts.command("claim")
@click.option("--count", default=1, show_default=True, help="how many alerts to take")
@click.option("--actor", default=getpass.getuser, show_default="current user")
@click.pass_obj
def claim_cmd(ctx: object, count: int, actor: str) -> None:
    """Take the highest-scoring new alerts into review."""
    with ctx.db.session() as session:
        claimed = claim_next(session, actor, count)
    click.echo("claimed: " + (", ".join(f"#{i}" for i in claimed) if claimed else "none"))


@alerts.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="created on or after")
@click.option(
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="file to write (default: stdout)",
)
@click.pass_obj
def export_cmd(
    ctx: object, fmt: str, status: str | None, since: datetime | None, output: object
) -> None:
    """Export alerts with their verdicts (no analyst names), as JSON lines or CSV."""
    rows = export_rows(ctx.db, status=status, since=since)
    write_export(rows, fmt, output)
