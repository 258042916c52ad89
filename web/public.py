"""What the press sees without logging in: the published clarifications, as a page and Atom.

Absolute links in the feed come only from the configured ``web.base_url``, never from the
request's Host header (which a client chooses). Without a base_url the links are relative to
the feed. Ids are tag: URIs, stable whatever the address the site is reached at.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, render_template

from alerts.views import published_clarifications
from web.context import db, options

bp = Blueprint("public", __name__)
EMPTY_FEED_UPDATED = datetime(2025, 1, 1)
ID_PREFIX = "tag:press-monitor,2025:clarifications"


@bp.get("/clarifications")
def clarifications() -> str:
    return render_template(
        "clarifications.html", items=published_clarifications(db()), title=options().feed_title
    )


@bp.get("/clarifications.atom")
def feed() -> Response:
    items = published_clarifications(db())
    base = (options().base_url or "").rstrip("/")
    body = render_template(
        "clarifications.xml",
        items=items,
        title=options().feed_title,
        base=base,
        id_prefix=ID_PREFIX,
        # the feed changed when its newest entry did
        updated=max((i["updated_at"] for i in items), default=EMPTY_FEED_UPDATED),
    )
    return Response(body, mimetype="application/atom+xml")
