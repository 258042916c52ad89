"""Login, logout, the session and the CSRF token."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from alerts.accounts import authenticate
from storage.models import User
from web.context import db, options

bp = Blueprint("auth", __name__)


def csrf_token() -> str:
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return session["csrf_token"]


def check_csrf() -> None:
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf_token", "")
        if not expected or not hmac.compare_digest(sent, expected):
            abort(400, "thiếu hoặc sai mã CSRF")


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
        return s.scalar(select(User).where(User.id == user_id, User.active.is_(True)))


@bp.get("/login")
def login() -> str:
    return render_template("login.html", next=request.args.get("next", "/"))


@bp.post("/login")
def do_login() -> Any:
    with db().session() as s:
        user = authenticate(s, request.form.get("username", ""), request.form.get("password", ""))
        user_id = user.id if user else None
    if user_id is None:
        flash("Tên đăng nhập hoặc mật khẩu không đúng.")
        return render_template("login.html", next=request.form.get("next", "/")), 401
    session.clear()
    session.permanent = True
    session.update(user_id=user_id, login_at=time.time(), csrf_token=secrets.token_urlsafe(32))
    return redirect(local_path(request.form.get("next", "/")))


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))


def local_path(target: str) -> str:
    """Only same-site paths after login: no open redirect."""
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else "/"
