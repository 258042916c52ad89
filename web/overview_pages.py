"""The overview: what came in and what was flagged, per day, source and category."""

from __future__ import annotations

from flask import Blueprint, render_template

from alerts.overview import overview
from web.auth import login_required
from web.context import db

bp = Blueprint("overview", __name__)


@bp.get("/overview")
@login_required
def index() -> str:
    return render_template("overview.html", data=overview(db()))
