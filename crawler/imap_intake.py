"""Reading the intake mailbox over IMAP (imaplib), incrementally and idempotently.

Each message handled gets an IMAP keyword, so it is not read again; the item's unique
canonical URL (tipline:<Message-ID>) makes a re-read after a crash harmless. A message that
cannot become an item gets another keyword and stays in the mailbox for a person to look at.
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from crawler.tips import Tip, TipError, parse_tip

DONE = "$PressMonitorIngested"
FAILED = "$PressMonitorError"


@dataclass(frozen=True)
class ImapOptions:
    host: str
    port: int
    user: str
    password: str
    tls: str = "tls"  # "none", "starttls" or "tls"
    mailbox: str = "INBOX"
    ca_file: str | None = None
    timeout: float = 30


@dataclass
class IntakeResult:
    stored: int = 0
    already: int = 0
    errors: list[str] = field(default_factory=list)


class IntakeError(RuntimeError):
    """The mailbox could not be read at all (connection, login, mailbox)."""


@contextmanager
def mailbox(options: ImapOptions) -> Iterator[imaplib.IMAP4]:
    context = ssl.create_default_context(cafile=options.ca_file)
    try:
        if options.tls == "tls":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                options.host, options.port, ssl_context=context, timeout=options.timeout
            )
        else:
            client = imaplib.IMAP4(options.host, options.port, timeout=options.timeout)
            if options.tls == "starttls":
                client.starttls(ssl_context=context)
        client.login(options.user, options.password)
        status, _ = client.select(options.mailbox)
        if status != "OK":
            raise IntakeError(f"mailbox {options.mailbox!r} cannot be opened")
    except (OSError, imaplib.IMAP4.error) as exc:
        raise IntakeError(f"IMAP {options.host}:{options.port}: {exc}") from exc
    try:
        yield client
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def read_new(options: ImapOptions, store: Callable[[Tip], bool]) -> IntakeResult:
    """Hand every message not yet handled to ``store`` (True: new item, False: known)."""
    result = IntakeResult()
    with mailbox(options) as client:
        status, data = client.uid("SEARCH", None, f"UNKEYWORD {DONE} UNKEYWORD {FAILED}")
        if status != "OK":
            raise IntakeError(f"search failed: {data}")
        for uid in (data[0] or b"").split():
            status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            try:
                if raw is None:
                    raise TipError("message could not be fetched")
                tip = parse_tip(raw)
            except TipError as exc:
                result.errors.append(f"message uid {uid.decode()}: {exc}")
                client.uid("STORE", uid, "+FLAGS", f"({FAILED})")
                continue
            if store(tip):
                result.stored += 1
            else:
                result.already += 1
            client.uid("STORE", uid, "+FLAGS", f"({DONE})")
    return result
