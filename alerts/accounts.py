"""Analyst accounts: passwords hashed with scrypt (hashlib, a standard memory-hard KDF)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.localities import set_user_localities
from storage.logins import end_sessions
from storage.models import User

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10


class AccountError(ValueError):
    """An account operation that cannot be done; the message says why."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    encode = base64.b64encode
    return (
        f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(computed, base64.b64decode(digest))


def add_user(session: Session, username: str, password: str, display_name: str = "") -> User:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        active=True,
    )
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise AccountError(f"user {username!r} already exists") from None
    return user


def set_active(session: Session, username: str, active: bool) -> None:
    user = _user(session, username)
    user.active = active
    if not active:
        end_sessions(session, user.id)


def set_password(session: Session, username: str, password: str) -> None:
    """A new password; every open session of the user ends (a stolen cookie too)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    user = _user(session, username)
    user.password_hash = hash_password(password)
    end_sessions(session, user.id)


def limit_to_localities(session: Session, username: str, keys: list[str]) -> None:
    """Limit an account to some localities (by key); no keys makes it provincial again.
    Its open sessions end, so the new limit holds from the next request on."""
    user = _user(session, username)
    set_user_localities(session, user.id, keys)
    end_sessions(session, user.id)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        hash_password(password)  # same work either way: no user enumeration by timing
        return None
    if not user.active or not verify_password(password, user.password_hash):
        return None
    return user
