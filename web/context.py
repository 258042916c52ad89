"""The app's database and options, reachable from any blueprint through ``current_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

from storage.db import Database

if TYPE_CHECKING:
    from web.app import WebOptions

KEY = "press_monitor"


def db() -> Database:
    return current_app.extensions[KEY]["db"]


def options() -> WebOptions:
    return current_app.extensions[KEY]["options"]
