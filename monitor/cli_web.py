"""`press-monitor serve` and `press-monitor users ...`."""

from __future__ import annotations

import sys

import click

from alerts.accounts import AccountError, add_user, set_active


@click.command()
@click.pass_obj
def serve(ctx: object) -> None:
    """Serve the review pages (bound to 127.0.0.1 by default)."""
    from werkzeug.serving import run_simple

    from monitor.wiring import web_options
    from web.app import create_app

    app = create_app(ctx.db, web_options(ctx.config))
    run_simple(ctx.config.web.host, ctx.config.web.port, app, threaded=True)


@click.group()
def users() -> None:
    """Analyst accounts for the review pages."""


@users.command("add")
@click.argument("username")
@click.option("--display-name", default="", help="name shown in the audit trail")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
@click.pass_obj
def users_add(ctx: object, username: str, display_name: str, password_stdin: bool) -> None:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with ctx.db.session() as session:
            add_user(session, username, password, display_name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username} added")


@users.command("disable")
@click.argument("username")
@click.pass_obj
def users_disable(ctx: object, username: str) -> None:
    try:
        with ctx.db.session() as session:
            set_active(session, username, False)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username} disabled")
