"""The analysts' review pages and the public clarifications feed (Flask, server-rendered).

Every state change is a POST carrying the session's CSRF token and is written to the audit
trail with the analyst's name; GET never changes anything (mail scanners follow links in
digests). Sessions expire. Templates autoescape everything that came from the web.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from alerts.accounts import authenticate
from alerts.labels import CATEGORY_LABELS, STATUS_LABELS
from alerts.overview import overview
from alerts.queue import STATUSES, TransitionError, Verdict, change_status, set_published
from alerts.render import local_time, safe_url
from alerts.stories import spread
from alerts.views import list_alerts, published_clarifications, segments
from storage.db import Database
from storage.models import Alert, User

TEMPLATES = Path(__file__).with_name("templates") / "web"


@dataclass(frozen=True)
class WebOptions:
    secret_key: str
    session_hours: float = 8
    base_url: str | None = None
    feed_title: str = "Thông tin đính chính"
    timezone: str = "Asia/Ho_Chi_Minh"


def create_app(db: Database, options: WebOptions) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.update(
        SECRET_KEY=options.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=options.session_hours),
    )
    app.jinja_env.filters.update(
        category=lambda c: CATEGORY_LABELS.get(c, c),
        status=lambda s: STATUS_LABELS.get(s, s),
        safe_url=safe_url,
        when=lambda d: local_time(d, options.timezone),
    )
    app.jinja_env.globals.update(
        csrf_token=_csrf_token, STATUSES=STATUSES, CATEGORIES=sorted(CATEGORY_LABELS)
    )

    def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = _current_user(db, options.session_hours)
            if user is None:
                session.clear()
                return redirect(url_for("login", next=request.full_path))
            g.user = user
            return view(*args, **kwargs)

        return wrapper

    @app.before_request
    def check_csrf() -> None:
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            expected = session.get("csrf_token", "")
            if not expected or not hmac.compare_digest(sent, expected):
                abort(400, "thiếu hoặc sai mã CSRF")

    @app.get("/login")
    def login() -> str:
        return render_template("login.html", next=request.args.get("next", "/"))

    @app.post("/login")
    def do_login() -> Any:
        with db.session() as s:
            user = authenticate(
                s, request.form.get("username", ""), request.form.get("password", "")
            )
            user_id = user.id if user else None
        if user_id is None:
            flash("Tên đăng nhập hoặc mật khẩu không đúng.")
            return render_template("login.html", next=request.form.get("next", "/")), 401
        session.clear()
        session.permanent = True
        session.update(user_id=user_id, login_at=time.time(), csrf_token=secrets.token_urlsafe(32))
        return redirect(_local_path(request.form.get("next", "/")))

    @app.post("/logout")
    def logout() -> Any:
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    @login_required
    def queue() -> str:
        since = _date(request.args.get("since"))
        rows = list_alerts(
            db,
            status=request.args.get("status") or None,
            category=request.args.get("category") or None,
            since=since,
            locality=request.args.get("locality") or None,
            limit=200,
        )
        return render_template("queue.html", rows=rows, args=request.args)

    @app.get("/alerts/<int:alert_id>")
    @login_required
    def alert(alert_id: int) -> str:
        return render_template("alert.html", **_alert_context(db, alert_id))

    @app.post("/alerts/<int:alert_id>/verdict")
    @login_required
    def verdict(alert_id: int) -> Any:
        form = request.form
        try:
            with db.session() as s:
                current = s.get(Alert, alert_id)
                if current is None:
                    abort(404)
                if form.get("status") and form["status"] != current.status:
                    change_status(
                        s,
                        alert_id,
                        Verdict(
                            form["status"],
                            g.user.username,
                            form.get("note") or None,
                            form.get("clarification") or None,
                            form.get("link") or None,
                        ),
                    )
                set_published(s, alert_id, form.get("publish") == "1", g.user.username)
            flash("Đã lưu.")
        except TransitionError as exc:
            flash(f"Không lưu được: {exc}")
        return redirect(url_for("alert", alert_id=alert_id), code=303)

    @app.get("/overview")
    @login_required
    def overview_page() -> str:
        return render_template("overview.html", data=overview(db))

    @app.get("/clarifications")
    def clarifications() -> str:
        return render_template(
            "clarifications.html", items=published_clarifications(db), title=options.feed_title
        )

    @app.get("/clarifications.atom")
    def clarifications_feed() -> Response:
        items = published_clarifications(db)
        base = (options.base_url or request.host_url).rstrip("/")
        body = render_template(
            "clarifications.xml",
            items=items,
            title=options.feed_title,
            base=base,
            updated=max((i["updated_at"] for i in items), default=datetime(2025, 1, 1)),
        )
        return Response(body, mimetype="application/atom+xml")

    return app


def _csrf_token() -> str:
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return session["csrf_token"]


def _current_user(db: Database, session_hours: float) -> User | None:
    user_id, login_at = session.get("user_id"), session.get("login_at", 0)
    if user_id is None or time.time() - login_at > session_hours * 3600:
        return None
    with db.session() as s:
        user = s.scalar(select(User).where(User.id == user_id, User.active.is_(True)))
    return user


def _local_path(target: str) -> str:
    """Only same-site paths after login: no open redirect."""
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else "/"


def _date(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d") if value else None
    except ValueError:
        return None


def _alert_context(db: Database, alert_id: int) -> dict[str, Any]:
    with db.session() as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            abort(404)
        item = alert.item
        analysis = item.analysis
        found = [
            (m["start"], m["end"], "match", m.get("field"))
            for m in (analysis.matches if analysis else [])
        ]
        found += [
            (p["start"], p["end"], "place", p.get("field"))
            for p in (analysis.localities if analysis else [])
        ]
        story = spread(s, [item.story_id])[item.story_id] if item.story_id else None
        return {
            "alert": alert,
            "item": item,
            "source": item.source.name,
            "story": story,
            "matches": analysis.matches if analysis else [],
            "units": sorted({p["unit"] for p in (analysis.localities if analysis else [])}),
            "title_parts": segments(
                item.title, [(a, b, k) for a, b, k, f in found if f == "title"]
            ),
            "text_parts": segments(item.text, [(a, b, k) for a, b, k, f in found if f == "text"]),
            "events": list(alert.events),
        }
