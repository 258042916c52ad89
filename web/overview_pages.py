"""The overview: what came in and what was flagged, per day, source and category, as charts
and tables; the same figures (alerts.overview.figures) as the reports upward."""

from __future__ import annotations

from flask import Blueprint, render_template

from alerts import charts
from alerts.overview import overview
from alerts.rule_report import rule_verdicts
from web.auth import login_required
from web.context import allowed_localities, db

bp = Blueprint("overview", __name__)


@bp.get("/overview")
@login_required
def index() -> str:
    allowed = allowed_localities()
    data = overview(db(), allowed=allowed)
    images = {
        "categories": charts.alerts_by_category(data.series_days, data.alerts_by_category),
        "sources": charts.items_by_source(data.series_days, data.items_by_source),
        "verdicts": charts.verdicts(data.verdicts),
    }
    with db().session() as session:
        rules = rule_verdicts(session, allowed=allowed)
    return render_template(
        "overview.html",
        data=data,
        charts={name: charts.data_uri(chart) for name, chart in images.items()},
        rules=rules,
    )
