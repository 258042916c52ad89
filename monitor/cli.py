"""The `press-monitor` command line."""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor.config_path import resolve_path

if TYPE_CHECKING:  # imported where used: pydantic and the config models are a third of a
    from monitor.config import Config  # start-up that analyze-text may not need at all
    from nlp.rules import RuleSet

log = logging.getLogger("press_monitor.cli")


class Context:
    """Lazily loaded config and database, shared by the subcommands."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = resolve_path(config_path)
        self._config: Config | None = None
        self._db: Any = None

    @property
    def config(self) -> Config:
        return self._config if self._config is not None else self.validated()

    def validated(self, content: bytes | None = None) -> Config:
        """The config file validated (``content``: its bytes, already read); a bad one ends
        the command with exit status 2 and the path of each bad key."""
        from monitor.config import ConfigError, load_config

        try:
            self._config = load_config(self.config_path, content)
        except ConfigError as exc:
            click.echo(f"config error:\n{exc}", err=True)
            raise SystemExit(2) from None
        return self._config

    @property
    def db(self) -> Any:
        if self._db is None:
            from storage.db import Database

            self._db = Database(self.config.database_url)
        return self._db


pass_ctx = click.make_pass_decorator(Context)


def _progress() -> Any:
    """A printer of progress lines (to stderr) when a person watches a terminal, else None:
    redirected output and the service's logs stay quiet."""
    if not sys.stderr.isatty():
        return None
    return lambda line: click.echo(line, err=True)


class LazyGroup(click.Group):
    """Subcommands imported when invoked, as click's documentation shows for large CLIs.

    Every command used to import the review pages, the digest and story code before doing
    anything; `status` paid 4x the time of importing its real dependencies.
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, name = self.lazy[cmd_name].split(":")
            return getattr(importlib.import_module(module), name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy={
        "alerts": "monitor.cli_alerts:alerts",
        "serve": "monitor.cli_web:serve",
        "users": "monitor.cli_web:users",
        "intake": "monitor.cli_intake:intake",
        "submit": "monitor.cli_intake:submit",
        "eval": "monitor.cli_rules:eval_command",
        "rules": "monitor.cli_rules:rules_group",
        "learn": "monitor.cli_learn:learn",
        "bulletin": "monitor.cli_press:bulletin",
        "report": "monitor.cli_press:report",
        "locality": "monitor.cli_locality:locality_group",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    envvar="PRESS_MONITOR_CONFIG",
    help="config file (default: ./config.yaml; env PRESS_MONITOR_CONFIG)",
)
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
@click.option(
    "--log-format", default="text", show_default=True, type=click.Choice(["text", "json"])
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_level: str, log_format: str) -> None:
    """Press and public social-media monitoring for one locality or many."""
    from monitor.logs import setup_logging

    setup_logging(log_level, log_format)
    ctx.obj = Context(config_path)


@cli.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@pass_ctx
def config_check(ctx: Context) -> None:
    """Validate the config file; exit 2 with the path of each bad key."""
    from monitor.rule_packs import effective_rules

    config = ctx.config
    click.echo(
        f"{ctx.config_path}: OK ({len(config.sources)} sources, "
        f"{sum(len(k.words) for k in config.keywords.values())} keywords, "
        f"{len(config.regex_rules)} regex rules, {len(effective_rules(config))} query rules, "
        f"{len(config.analysts)} analysts)"
    )


@cli.command()
@click.option("--source", "sources", multiple=True, metavar="NAME", help="only these sources")
@pass_ctx
def collect(ctx: Context, sources: tuple[str, ...]) -> None:
    """Fetch due sources and store new items."""
    from monitor.pipeline import collect as do_collect

    unknown = set(sources) - {s.name for s in ctx.config.sources}
    if unknown:
        raise click.UsageError(f"unknown source(s): {', '.join(sorted(unknown))}")
    with _crawl_stopped_exits():
        # one-shot: the crawl runs in this process (no second interpreter)
        result = do_collect(ctx.db, ctx.config, sources, progress=_progress(), in_process=True)
    _print_collect(result)
    if result.error:
        raise SystemExit(1)


@contextmanager
def _crawl_stopped_exits() -> Iterator[None]:
    """A crawl in this process ended by SIGTERM or Ctrl-C (its run recorded as interrupted,
    in-flight work finished): one line, and the exit status of that signal."""
    from crawler.runner import CrawlStopped

    try:
        yield
    except CrawlStopped as exc:
        click.echo(f"press-monitor: {exc}", err=True)
        raise SystemExit(128 + exc.signum) from None


def _print_collect(result: Any) -> None:
    for name, s in sorted(result.per_source.items()):
        line = (
            f"{name}: {s['requests']} requests, {s['not_modified']} not modified, "
            f"{s['new']} new, {s['updated']} updated, {s['errors']} errors"
            + (f", {s['article_errors']} article errors" if s["article_errors"] else "")
        )
        if s["error_reasons"]:
            line += f" ({s['error_reasons'][0]})"
        if s.get("overflow"):
            from monitor.status_report import overflow_text

            line += f"; {overflow_text(s['overflow'])}"
        click.echo(line)
    if result.error:
        click.echo(f"collection failed: {result.error}", err=True)


@cli.command()
@click.option(
    "--rescore",
    is_flag=True,
    help="list the alerts that the current rules make appear or disappear",
)
@click.option("--dry-run", is_flag=True, help="change nothing; only report (implies --rescore)")
@pass_ctx
def analyze(ctx: Context, rescore: bool, dry_run: bool) -> None:
    """Analyze new and changed items, and after a rule change the items it can affect."""
    from monitor.analysis import analyze as do_analyze
    from monitor.summary import analysis_summary

    report = do_analyze(ctx.db, ctx.config, dry_run=dry_run, progress=_progress())
    click.echo(analysis_summary(report, details=rescore or dry_run, dry_run=dry_run))


@cli.command("analyze-text")
@click.option(
    "--trust",
    default="unknown",
    show_default=True,
    type=click.Choice(["official", "press", "social", "unknown"]),
)
@pass_ctx
def analyze_text(ctx: Context, trust: str) -> None:
    """Analyze JSON lines {"id","text","title"} (or plain text) from stdin; JSON lines out."""
    from monitor.rule_cache import cached_ruleset
    from monitor.textio import read_inputs
    from nlp.analyzer import Analyzer

    def validated_rules(content: bytes | None) -> RuleSet:
        from monitor.wiring import ruleset

        return ruleset(ctx.validated(content))

    analyzer = Analyzer(cached_ruleset(ctx.config_path, validated_rules))
    # one line out per line in, flushed so that a caller feeding lines one at a time reads
    # each answer at once; written to click's stream directly (click.echo looks its stream
    # up and asks whether it is a terminal for every line: 5 us a line against 1), with its
    # methods and one JSON encoder looked up once (json.dumps with options builds an encoder
    # per call)
    stdout = click.get_text_stream("stdout")
    write, flush = stdout.write, stdout.flush
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for record in read_inputs(sys.stdin):
        if "error" in record:
            out = record
        else:
            result = analyzer.analyze(record["text"], record.get("title") or "", trust)
            out = {
                "id": record.get("id"),
                "localities": result.localities,
                "matches": result.matches,
                "score": result.score,
                "flagged": result.flagged,
                "explanation": result.explanation,
            }
        write(encode(out) + "\n")
        flush()


@cli.command()
@click.option("--force", is_flag=True, help="send a digest now, whatever the schedule")
@pass_ctx
def digest(ctx: Context, force: bool) -> None:
    """Send (or write to the outbox) the digest when it is due."""
    from monitor.pipeline import digest as do_digest

    outcome = do_digest(ctx.db, ctx.config, Path.cwd(), force=force)
    click.echo(_describe_digest(outcome))
    if outcome.state in ("failed", "rejected", "uncertain"):
        raise SystemExit(1)


def _describe_digest(outcome: Any) -> str:
    if outcome.state == "not_due":
        return "digest: not due"
    if outcome.state == "empty":
        return f"digest #{outcome.digest_id}: no new alerts, nothing sent"
    if outcome.state == "failed":
        return f"digest #{outcome.digest_id}: delivery failed ({outcome.error}); will retry"
    if outcome.state == "rejected":
        return (
            f"digest #{outcome.digest_id}: refused for good by the mail server ({outcome.error}); "
            "closed and not resent, the next digest reports it"
        )
    if outcome.state == "uncertain":
        return (
            f"digest #{outcome.digest_id}: no reply after the message was sent "
            f"({outcome.error}); the server may have it, so it is not resent"
        )
    return f"digest #{outcome.digest_id}: {outcome.alert_count} alerts -> {outcome.location}"


@cli.command()
@click.option("--once", is_flag=True, help="one full cycle, then exit (for cron)")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(["scheduler", "crawler", "worker"]),
    help="in a cluster (cluster.redis_url), run only this role; repeatable (default: all)",
)
@pass_ctx
def run(ctx: Context, once: bool, roles: tuple[str, ...]) -> None:
    """Run the service (or one cycle with --once); in a cluster, its roles.

    Exit codes: 0 stopped with all work finished; 3 running work stopped at a safe point;
    4 running work killed at the shutdown deadline; 75 another instance is running on this
    database; 2 invalid config, or --role without a cluster.
    """
    from monitor.instance import AlreadyRunning, InstanceLock
    from monitor.pipeline import run_cycle
    from monitor.summary import analysis_summary

    if ctx.config.cluster.redis_url and not once:
        from monitor.roles import run_roles

        raise SystemExit(run_roles(ctx.config_path, ctx.config, roles))
    if roles:
        click.echo(
            "press-monitor: run --role needs a cluster: set cluster.redis_url in the config "
            "or PRESS_MONITOR_REDIS_URL (without them `run` does everything in one process)",
            err=True,
        )
        raise SystemExit(2)
    try:
        if once:
            with InstanceLock(ctx.db), _crawl_stopped_exits():
                result = run_cycle(
                    ctx.db, ctx.config, Path.cwd(), progress=_progress(), in_process=True
                )
            _print_collect(result.collect)
            click.echo(analysis_summary(result.analysis))
            click.echo(_describe_digest(result.digest))
            return
        from monitor.service import serve_forever

        raise SystemExit(serve_forever(ctx.config_path, ctx.config))
    except AlreadyRunning as exc:
        click.echo(f"press-monitor: {exc}; not starting", err=True)
        raise SystemExit(75) from None


@cli.command()
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    default=Path("data/demo"),
    show_default=True,
    help="fresh folder for the demo database and outbox",
)
@click.option(
    "--serve",
    "then_serve",
    is_flag=True,
    help="then serve the review pages on the demo data, with a user 'demo' (password printed)",
)
@pass_ctx
def demo(ctx: Context, workdir: Path, then_serve: bool) -> None:
    """Run one full cycle against bundled sample outlets on 127.0.0.1 (offline), then print
    the commands that browse its data (or serve it at once with --serve)."""
    from monitor.config import ConfigError
    from monitor.demo import run_demo
    from monitor.summary import demo_next_steps, demo_summary

    try:
        result = run_demo(ctx.config_path, workdir.resolve())
    except ConfigError as exc:
        click.echo(f"config error:\n{exc}", err=True)
        raise SystemExit(2) from None
    click.echo(demo_summary(result))
    if not then_serve:
        click.echo(demo_next_steps(result, _program(), ctx.config_path))
        return
    from monitor.demo import serve_demo

    serve_demo(result, click.echo)


def _program() -> str:
    """How the user started this program, to print commands they can paste."""
    import os
    import shutil

    argv0 = Path(sys.argv[0])
    if argv0.name == "press-monitor":
        on_path = shutil.which("press-monitor")
        if on_path and Path(on_path).resolve() == argv0.resolve():
            return "press-monitor"
        return os.path.relpath(argv0)
    return f"{sys.executable} -m monitor"


@cli.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="print the cluster's live processes as JSON (role, host, pid, last_seen, work_done)",
)
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """Sources' health, queue sizes, the last digest, the service's next runs and a
    cluster's live processes; exit 1 when a source has failed
    service.max_consecutive_failures times in a row, or the last digest failed, was
    refused, is uncertain or is stuck (for cron or monitoring)."""
    from monitor.instance import AlreadyRunning, InstanceLock
    from monitor.status_report import cluster_report, jobs_report, live_processes, status_report

    silent = ctx.config.cluster.dead_after_seconds
    if as_json:
        click.echo(json.dumps(live_processes(ctx.db, silent), ensure_ascii=False, indent=2))
        return
    text, healthy = status_report(ctx.db, ctx.config.service.max_consecutive_failures)
    click.echo(text)
    try:
        with InstanceLock(ctx.db):
            running = False
    except AlreadyRunning:
        running = True
    processes = live_processes(ctx.db, silent) if ctx.config.cluster.redis_url else []
    running = running or any(p["leader"] for p in processes)
    click.echo(jobs_report(ctx.db, running))
    if ctx.config.cluster.redis_url:
        click.echo(cluster_report(processes))
    if not healthy:
        raise SystemExit(1)


@cli.command()
@click.option("--dry-run", is_flag=True, help="only show what would be purged")
@pass_ctx
def purge(ctx: Context, dry_run: bool) -> None:
    """Drop the text and author of items older than retention_days that carry no alert."""
    from datetime import timedelta

    from storage.models import utcnow
    from storage.retention import plan_purge
    from storage.retention import purge as do_purge

    before = utcnow() - timedelta(days=ctx.config.retention_days)
    with ctx.db.session() as session:
        plan = plan_purge(session, before)
        if dry_run:
            oldest = f", the oldest fetched {plan.oldest:%Y-%m-%d}" if plan.oldest else ""
            click.echo(
                f"would purge {plan.items} items fetched before {before:%Y-%m-%d} "
                f"(UTC){oldest}; alerts and their items are kept"
            )
            return
        purged = do_purge(session, before)
    click.echo(f"purged the text of {purged} items fetched before {before:%Y-%m-%d} (UTC)")


def main() -> None:
    cli(prog_name="press-monitor")
