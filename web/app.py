"""The analysts' review pages and the public clarifications feed (Flask, server-rendered).

Every state change is a POST carrying the session's CSRF token and is written to the audit
trail with the analyst's name; GET never changes anything (mail scanners follow links in
digests). Sessions expire. Templates autoescape everything that came from the web.
The routes live in one blueprint per group: auth, queue, alerts, overview, public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask

from alerts.labels import CATEGORY_LABELS, STATUS_LABELS
from alerts.queue import STATUSES
from alerts.render import local_time, safe_url
from storage.db import Database
from web import alert_pages, auth, overview_pages, public, queue_pages
from web.context import KEY

HERE = Path(__file__).parent


@dataclass(frozen=True)
class WebOptions:
    secret_key: str
    session_hours: float = 8
    base_url: str | None = None
    feed_title: str = "Thông tin đính chính"
    timezone: str = "Asia/Ho_Chi_Minh"


def create_app(db: Database, options: WebOptions) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(HERE / "templates"),
        static_folder=str(HERE / "static"),
    )
    app.config.update(
        SECRET_KEY=options.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=options.session_hours),
    )
    app.extensions[KEY] = {"db": db, "options": options}
    app.jinja_env.filters.update(
        category=lambda c: CATEGORY_LABELS.get(c, c),
        status=lambda s: STATUS_LABELS.get(s, s),
        safe_url=safe_url,
        when=lambda d: local_time(d, options.timezone),
    )
    app.jinja_env.globals.update(
        csrf_token=auth.csrf_token, STATUSES=STATUSES, CATEGORIES=sorted(CATEGORY_LABELS)
    )
    app.before_request(auth.check_csrf)
    for module in (auth, queue_pages, alert_pages, overview_pages, public):
        app.register_blueprint(module.bp)
    return app
