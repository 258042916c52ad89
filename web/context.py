"""The app's database and options, reachable from any blueprint through ``current_app``,
and the localities the logged-in account may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g

from storage.db import Database
from storage.localities import user_locality_keys

if TYPE_CHECKING:
    from web.app import WebOptions

KEY = "press_monitor"


def db() -> Database:
    return current_app.extensions[KEY]["db"]


def options() -> WebOptions:
    return current_app.extensions[KEY]["options"]


def allowed_localities() -> list[str] | None:
    """The locality keys the logged-in account is limited to; None for a provincial
    account, which sees every alert. Read once per request."""
    if "localities" not in g:
        with db().session() as session:
            g.localities = user_locality_keys(session, g.user.id) or None
    return g.localities


def locality_name(key: str) -> str:
    """A locality's display name from config.yaml (its key when it is no longer there)."""
    return dict(options().localities).get(key, key)
