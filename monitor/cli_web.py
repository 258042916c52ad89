"""`press-monitor serve` and `press-monitor users ...`."""

from __future__ import annotations

import logging
import sys

import click

from alerts.accounts import (
    AccountError,
    add_user,
    limit_to_localities,
    list_users,
    set_active,
    set_password,
)
from storage.localities import user_locality_keys

log = logging.getLogger("press_monitor.web")


@click.command()
@click.option("--host", help="address to listen on (default: web.host, 127.0.0.1)")
@click.option("--port", type=click.IntRange(1, 65535), help="port (default: web.port, 8080)")
@click.option("--threads", default=8, show_default=True, help="worker threads")
@click.pass_obj
def serve(ctx: object, host: str | None, port: int | None, threads: int) -> None:
    """Serve the review pages with waitress (a production WSGI server), one access log line
    per request. Put a TLS reverse proxy in front to serve beyond this machine."""
    import waitress

    from monitor.wiring import web_options
    from web.accesslog import AccessLog
    from web.app import create_app

    host = host or ctx.config.web.host
    port = port or ctx.config.web.port
    app = AccessLog(create_app(ctx.db, web_options(ctx.config)))
    log.info("review pages on http://%s:%s/", host, port)
    click.echo(f"serving the review pages on http://{host}:{port}/ (Ctrl+C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="press-monitor")


@click.group()
def users() -> None:
    """Analyst accounts for the review pages."""


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("username")
@click.option("--display-name", default="", help="name shown in the audit trail")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
@click.pass_obj
def users_add(ctx: object, username: str, display_name: str, password_stdin: bool) -> None:
    """Add an analyst."""
    password = _password(password_stdin)
    try:
        with ctx.db.session() as session:
            add_user(session, username, password, display_name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username} added")


@users.command("list")
@click.pass_obj
def users_list(ctx: object) -> None:
    """List analysts: name, enabled or disabled, created (UTC), display name, and the
    localities an analyst is limited to (none shown: sees every locality)."""
    with ctx.db.session() as session:
        rows = [
            (u.username, u.display_name, u.active, u.created_at, user_locality_keys(session, u.id))
            for u in list_users(session)
        ]
    if not rows:
        click.echo("no users")
    for username, display, active, created, keys in rows:
        state = "enabled" if active else "disabled"
        limit = f"  (localities: {', '.join(keys)})" if keys else ""
        click.echo(f"{username:<20} {state:<9} {created:%Y-%m-%d}  {display}{limit}")


@users.command("disable")
@click.argument("username")
@click.pass_obj
def users_disable(ctx: object, username: str) -> None:
    """Disable an analyst (ends their sessions)."""
    _set_active(ctx, username, False)


@users.command("enable")
@click.argument("username")
@click.pass_obj
def users_enable(ctx: object, username: str) -> None:
    """Enable a disabled analyst again."""
    _set_active(ctx, username, True)


def _set_active(ctx: object, username: str, active: bool) -> None:
    try:
        with ctx.db.session() as session:
            set_active(session, username, active)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username} {'enabled' if active else 'disabled'}")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
@click.pass_obj
def users_set_password(ctx: object, username: str, password_stdin: bool) -> None:
    """Set a new password (ends the user's open sessions)."""
    password = _password(password_stdin)
    try:
        with ctx.db.session() as session:
            set_password(session, username, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"password of {username} changed; their open sessions ended")


@users.command("localities")
@click.argument("username")
@click.option(
    "--locality", "keys", multiple=True, help="a locality key from config.yaml (repeatable)"
)
@click.option("--all", "provincial", is_flag=True, help="no limit: every locality")
@click.pass_obj
def users_localities(ctx: object, username: str, keys: tuple[str, ...], provincial: bool) -> None:
    """Limit an analyst to some localities (they then see only those alerts on the review
    pages), or with --all lift the limit. Ends the user's open sessions."""
    if provincial == bool(keys):
        raise click.UsageError("give --locality KEY (one or more) or --all")
    known = {loc.key for loc in ctx.config.watched()}
    unknown = sorted(set(keys) - known)
    if unknown:
        raise click.ClickException(
            f"unknown locality keys: {', '.join(unknown)} (config.yaml has: "
            f"{', '.join(sorted(known))})"
        )
    try:
        with ctx.db.session() as session:
            limit_to_localities(session, username, list(keys))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username} sees {', '.join(sorted(keys)) if keys else 'every locality'}")
