"""Login (throttled), logout (ends the session server-side), the session and the CSRF token.

A session cookie carries the user id, the login time and the user's session generation;
logout bumps the generation in the database, so a copied cookie stops working at once.
Failed logins are counted per user name and per address over a window; past the limit the
login answers 429 without checking the password.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from alerts.accounts import authenticate
from storage.logins import end_sessions, failures_since, forget_failures, record_failure
from storage.models import User, utcnow
from web.context import db, options

bp = Blueprint("auth", __name__)
THROTTLED = "Có quá nhiều lần đăng nhập sai. Vui lòng thử lại sau {minutes:g} phút."


def csrf_token() -> str:
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return session["csrf_token"]


def check_csrf() -> None:
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf_token", "")
        if not expected or not hmac.compare_digest(sent, expected):
            abort(400)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            session.clear()
            return redirect(url_for("auth.login", next=request.full_path))
        g.user = user
        return view(*args, **kwargs)

    return wrapper


def current_user() -> User | None:
    user_id, login_at = session.get("user_id"), session.get("login_at", 0)
    if user_id is None or time.time() - login_at > options().session_hours * 3600:
        return None
    with db().session() as s:
        return s.scalar(
            select(User).where(
                User.id == user_id,
                User.active.is_(True),
                User.session_generation == session.get("generation", -1),
            )
        )


@bp.get("/login")
def login() -> str:
    return render_template("login.html", next=request.args.get("next", "/"))


@bp.post("/login")
def do_login() -> Any:
    username = request.form.get("username", "")
    address = request.remote_addr or "-"
    opts = options()
    window = timedelta(minutes=opts.login_window_minutes)
    with db().session() as s:
        by_user, by_address = failures_since(s, username, address, utcnow() - window)
        if by_user >= opts.login_failures_per_user or by_address >= opts.login_failures_per_address:
            flash(THROTTLED.format(minutes=opts.login_window_minutes))
            return render_template("login.html", next=request.form.get("next", "/")), 429
        user = authenticate(s, username, request.form.get("password", ""))
        if user is None:
            record_failure(s, username, address)
        else:
            forget_failures(s, username, before=utcnow() - window)
            user_id, generation = user.id, user.session_generation
    if user is None:
        flash("Tên đăng nhập hoặc mật khẩu không đúng.")
        return render_template("login.html", next=request.form.get("next", "/")), 401
    session.clear()
    session.permanent = True
    session.update(
        user_id=user_id,
        generation=generation,
        login_at=time.time(),
        csrf_token=secrets.token_urlsafe(32),
    )
    return redirect(local_path(request.form.get("next", "/")))


@bp.post("/logout")
def logout() -> Any:
    user_id = session.get("user_id")
    if user_id is not None:
        with db().session() as s:
            end_sessions(s, user_id)
    session.clear()
    flash("Bạn đã đăng xuất.")
    return redirect(url_for("auth.login"))


def local_path(target: str) -> str:
    """Only same-site paths after login: no open redirect. Browsers read a backslash as a
    slash, so "/\\evil.com" is "//evil.com", another host; such paths are refused."""
    if not target.startswith("/") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return "/"
    return target
