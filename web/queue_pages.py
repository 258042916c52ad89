"""The alert queue: open alerts by default, search, filters, sorting, pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for

from alerts.views import OPEN, SORTS, queue_page
from web.auth import login_required
from web.context import allowed_localities, db, options

bp = Blueprint("queue", __name__)
ALL = "all"
VIETNAM = timedelta(hours=7)


@bp.get("/")
@login_required
def index() -> str:
    args = request.args
    wanted = args.get("status") or "open"
    status: str | tuple[str, ...] | None = (
        None if wanted == ALL else OPEN if wanted == "open" else wanted
    )
    sort = args.get("sort") if args.get("sort") in SORTS else "priority"
    page = queue_page(
        db(),
        status=status,
        category=args.get("category") or None,
        since=_date(args.get("since")),
        locality=args.get("locality") or None,
        search=args.get("q") or None,
        sort=sort,
        page=_number(args.get("page")),
        per_page=options().per_page,
        fold=options().fold,
        allowed=allowed_localities(),
        locality_key=args.get("area") or None,
    )
    return render_template("queue.html", page=page, args=args, wanted=wanted, sort=sort, link=_link)


def _link(**changes: Any) -> str:
    """This queue view with some arguments changed (filters kept across pages and sorts)."""
    args = {k: v for k, v in request.args.items() if v}
    args.update({k: v for k, v in changes.items()})
    return url_for("queue.index", **{k: v for k, v in args.items() if v not in (None, "")})


def _date(value: str | None) -> datetime | None:
    """A day as analysts write it (dd/mm/yyyy), or ISO; its start in Việt Nam, in UTC."""
    for layout in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime((value or "").strip(), layout) - VIETNAM
        except ValueError:
            continue
    return None


def _number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1_000_000))
    except ValueError:
        return 1
