"""What the press sees without logging in: the published clarifications, as a page and Atom."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, render_template, request

from alerts.views import published_clarifications
from web.context import db, options

bp = Blueprint("public", __name__)


@bp.get("/clarifications")
def clarifications() -> str:
    return render_template(
        "clarifications.html", items=published_clarifications(db()), title=options().feed_title
    )


@bp.get("/clarifications.atom")
def feed() -> Response:
    items = published_clarifications(db())
    base = (options().base_url or request.host_url).rstrip("/")
    body = render_template(
        "clarifications.xml",
        items=items,
        title=options().feed_title,
        base=base,
        updated=max((i["updated_at"] for i in items), default=datetime(2025, 1, 1)),
    )
    return Response(body, mimetype="application/atom+xml")
