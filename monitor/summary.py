"""Human summaries: the demo's result and an analysis run's (`status` has its own module,
monitor/status_report.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.analysis import AnalysisReport


def demo_summary(result: object) -> str:
    cycle = result.cycle
    per_source = cycle.collect.per_source
    items = sum(s["new"] for s in per_source.values())
    failed = cycle.collect.failed_sources
    lines = [
        "press-monitor demo: one full cycle against sample outlets on 127.0.0.1",
        f"  sources:  {len(per_source)} collected"
        + (f", failed: {', '.join(failed)}" if failed else ""),
        f"  items:    {items} stored, {cycle.analysis.analyzed} analyzed, "
        f"{cycle.analysis.flagged} flagged",
        f"  alerts:   {len(cycle.analysis.new_alerts)} new",
    ]
    digest = cycle.digest
    if digest.location:
        places = digest.location.split("; ")  # one message per audience with localities
        lines.append(f"  digest:   {digest.alert_count} alerts written to {places[0]}")
        lines += [f"            and to {place}" for place in places[1:]]
    else:
        lines.append(f"  digest:   {digest.state}")
    lines.append(f"  database: {result.config.database_url}")
    return "\n".join(lines)


def demo_next_steps(result: object, prog: str, config_path: Path) -> str:
    """The exact commands that look at the demo's database (status, queue, review pages)."""
    database = result.config.database_url
    config = config_path.resolve()
    return "\n".join(
        [
            "",
            "Look at the demo's data (POSIX shell; on Windows use `set NAME=value`):",
            f"  export PRESS_MONITOR_CONFIG={config}",
            f"  export PRESS_MONITOR_DATABASE_URL={database}",
            f"  {prog} status",
            f"  {prog} alerts list",
            f"  {prog} users add analyst     # asks for a password (10 characters or more)",
            f"  {prog} serve                 # then open http://{result.config.web.host}:"
            f"{result.config.web.port}/ and log in",
            f"Or in one step: {prog} demo --serve  (creates the user 'demo' and prints its "
            "password)",
        ]
    )


def analysis_summary(report: AnalysisReport, details: bool = False, dry_run: bool = False) -> str:
    verb = "would be" if dry_run else "were"
    lines = [
        f"analyzed {report.analyzed} items ({report.kept} unaffected by rule changes kept), "
        f"{report.flagged} flagged, {len(report.new_alerts)} new alerts"
    ]
    if report.linked:
        auto = len(report.auto_verdicts)
        lines.append(
            f"linked to claims the office has checked: {report.linked}"
            + (f" ({auto} took the earlier verdict)" if auto else "")
        )
    if details:
        lines.append(f"alerts that {verb} created: {len(report.appear)}")
        lines += [
            f"  + item {f.item_id} score {f.score:.1f}: {f.title[:90]}" for f in report.appear
        ]
        lines.append(
            f"alerts whose items are no longer flagged: {len(report.disappear)} "
            "(alerts are kept; review or dismiss them)"
        )
        lines += [
            f"  - alert #{f.alert_id} ({f.alert_status}) score {f.score:.1f}: {f.title[:90]}"
            for f in report.disappear
        ]
    return "\n".join(lines)
