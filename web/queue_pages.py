"""The alert queue."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request

from alerts.views import list_alerts
from web.auth import login_required
from web.context import db

bp = Blueprint("queue", __name__)


@bp.get("/")
@login_required
def index() -> str:
    rows = list_alerts(
        db(),
        status=request.args.get("status") or None,
        category=request.args.get("category") or None,
        since=_date(request.args.get("since")),
        locality=request.args.get("locality") or None,
        limit=200,
    )
    return render_template("queue.html", rows=rows, args=request.args)


def _date(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d") if value else None
    except ValueError:
        return None
