"""The analysts' review pages and the public clarifications feed (Flask, server-rendered).

Every state change is a POST carrying the session's CSRF token and is written to the audit
trail with the analyst's name; GET never changes anything (mail scanners follow links in
digests). Sessions expire and end server-side at logout. Templates autoescape everything that
came from the web; no script runs on any page (the CSP says so). The routes live in one
blueprint per group: auth, queue, alerts, overview, press and reports, public.
blueprint per group: auth, queue, alerts, overview, export, public. An account limited to
some localities sees only their alerts on every page but the public one; another alert's
page answers 404, as a missing one does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import Flask, Response

from alerts.labels import (
    CATEGORY_LABELS,
    DELIVERY_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    note_label,
)
from alerts.local_times import local_date, local_time
from alerts.queue import STATUSES
from alerts.render import safe_url
from alerts.scores import format_probability, format_score
from storage.db import Database
from web import (
    alert_pages,
    auth,
    errors,
    export_pages,
    overview_pages,
    press_pages,
    public,
    queue_pages,
)
from web.context import KEY, allowed_localities, locality_name

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'; img-src 'self' data:"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class WebOptions:
    secret_key: str
    session_hours: float = 8
    base_url: str | None = None
    feed_title: str = "Thông tin đính chính"
    timezone: str = "Asia/Ho_Chi_Minh"
    # Folding for the queue's search and locality filter (monitor wiring passes nlp's).
    fold: Callable[[str], str] = field(default=str.casefold)
    per_page: int = 50
    login_failures_per_user: int = 5
    login_failures_per_address: int = 20
    login_window_minutes: float = 15
    # the watched localities, (key, display name): the queue's filter, the overview's counts
    localities: tuple[tuple[str, str], ...] = ()


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
        SESSION_COOKIE_SECURE=(options.base_url or "").lower().startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=options.session_hours),
    )
    app.extensions[KEY] = {"db": db, "options": options}
    app.jinja_env.filters.update(
        category=lambda c: CATEGORY_LABELS.get(c, c),
        status=lambda s: STATUS_LABELS.get(s, s),
        note=note_label,
        safe_url=safe_url,
        when=lambda d: local_time(d, options.timezone),
        day=lambda d: local_date(d, options.timezone),
        score=format_score,
        probability=format_probability,
        delivery=lambda s: DELIVERY_LABELS.get(s, s),
        kind=lambda k: KIND_LABELS.get(k, k),
    )
    app.jinja_env.globals.update(
        csrf_token=auth.csrf_token,
        STATUSES=STATUSES,
        CATEGORIES=sorted(CATEGORY_LABELS),
        LOCALITIES=options.localities,
        allowed_localities=allowed_localities,
        locality_name=locality_name,
    )
    app.before_request(auth.check_csrf)
    app.after_request(_security_headers)
    errors.register(app)
    modules = (auth, queue_pages, alert_pages, overview_pages, export_pages, press_pages, public)
    for module in modules:
        app.register_blueprint(module.bp)
    return app


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
