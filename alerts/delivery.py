"""Delivering a digest: an email message, sent by SMTP or written to the outbox folder.

What an SMTP failure means for the message, by when it happened:

    DeliveryError             nothing was handed over (server down, login or MAIL FROM
                              refused, every recipient refused, a 4xx reply): retry later
    +-- DeliveryUncertain     the content was sent and no reply came (timeout, connection
    |                         lost): the server may have it, so it is never sent again
    +-- DeliveryRejected      a 5xx reply to the content (552 too big, 554), or 552 to a
                              declared size: final for this message, never retried
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from storage.models import utcnow


@dataclass(frozen=True)
class SmtpOptions:
    host: str
    port: int
    tls: str  # "none", "starttls" or "tls"
    sender: str
    user: str | None = None
    password: str | None = None
    timeout: float = 30
    ca_file: str | None = None  # a private CA for the office's mail server

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)


class DeliveryError(RuntimeError):
    """Nothing was delivered; the digest stays open and is retried."""


class DeliveryUncertain(DeliveryError):
    """The content was sent but its reply never came; resending could deliver it twice."""


class DeliveryRejected(DeliveryError):
    """The server refused this message for good (5xx); sending it again cannot succeed."""


class _TrackingMixin:
    """Notes the moment the message content starts going out, inside DATA."""

    in_data = False
    content_sent = False

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        self.in_data = True
        try:
            return super().data(msg)  # type: ignore[misc]
        finally:
            self.in_data = False

    def send(self, s: bytes | str) -> None:
        if self.in_data and s not in ("data\r\n", b"data\r\n"):
            self.content_sent = True
        super().send(s)  # type: ignore[misc]


class _SMTP(_TrackingMixin, smtplib.SMTP):
    pass


class _SMTPSSL(_TrackingMixin, smtplib.SMTP_SSL):
    pass


def build_message(
    subject: str, text: str, html: str, sender: str, recipients: list[str], message_id: str
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients) if recipients else sender
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def new_message_id() -> str:
    return make_msgid(domain="press-monitor.local")


def write_outbox(message: EmailMessage, outbox: Path, name: str) -> Path:
    """Atomically write ``name`` in the outbox; rewriting the same digest replaces its file."""
    outbox.mkdir(parents=True, exist_ok=True)
    target = outbox / name
    tmp = outbox / f".{name}.tmp"
    tmp.write_bytes(bytes(message))
    os.replace(tmp, target)
    return target


def send_smtp(message: EmailMessage, options: SmtpOptions, recipients: list[str]) -> dict[str, str]:
    """Send; returns the recipients the server refused (others got it). Raises one of the
    DeliveryError family (see the module docstring) when nobody got it for sure."""
    where = f"SMTP {options.host}:{options.port}"
    client: _SMTP | _SMTPSSL | None = None
    try:
        if options.tls == "tls":
            client = _SMTPSSL(
                options.host,
                options.port,
                timeout=options.timeout,
                context=options.tls_context(),
            )
        else:
            client = _SMTP(options.host, options.port, timeout=options.timeout)
        if options.tls == "starttls":
            client.starttls(context=options.tls_context())
        if options.user:
            client.login(options.user, options.password or "")
        refused = client.send_message(message, options.sender, recipients)
    except (OSError, smtplib.SMTPException) as exc:
        _close(client)
        raise _classify(exc, where, client is not None and client.content_sent) from exc
    _close(client, polite=True)  # accepted: a failure to say goodbye changes nothing
    return {rcpt: f"{code} {_text(reply)}" for rcpt, (code, reply) in refused.items()}


@dataclass(frozen=True)
class Delivered:
    """How one delivery ended: sent, failed (retry), uncertain or rejected (never resent)."""

    state: str
    location: str | None = None
    error: str | None = None


def record(row: Any, done: Delivered) -> None:
    """Write how a delivery ended onto its row (a digest, a press bulletin's delivery)."""
    row.state, row.error = done.state, done.error
    if done.location:
        row.location = done.location
    if done.state == "sent":
        row.sent_at = utcnow()


def deliver(
    message: EmailMessage,
    smtp: SmtpOptions | None,
    recipients: list[str],
    outbox: Path,
    name: str,
    before_smtp: Callable[[], None],
) -> Delivered:
    """Write the message to the outbox (no SMTP configured) or send it. ``before_smtp``
    records the "sending" state first: a process that dies during the SMTP conversation
    leaves that state behind, and its caller then never sends the message again."""
    if smtp is None:
        try:
            return Delivered("sent", str(write_outbox(message, outbox, name)))
        except OSError as exc:
            return Delivered("failed", error=f"outbox: {exc}")
    before_smtp()
    try:
        refused = send_smtp(message, smtp, recipients)
    except DeliveryUncertain as exc:
        return Delivered("uncertain", error=str(exc))
    except DeliveryRejected as exc:
        return Delivered("rejected", error=str(exc))
    except DeliveryError as exc:
        return Delivered("failed", error=str(exc))
    error = (
        "refused: " + "; ".join(f"{r} ({why})" for r, why in refused.items()) if refused else None
    )
    return Delivered("sent", f"smtp://{smtp.host}:{smtp.port}", error)


def _classify(exc: Exception, where: str, content_sent: bool) -> DeliveryError:
    code = getattr(exc, "smtp_code", None)
    reason = f"{where}: {exc}" if not isinstance(exc, TimeoutError) else f"{where}: timed out"
    if isinstance(exc, smtplib.SMTPDataError) and content_sent and code and code >= 500:
        return DeliveryRejected(reason)
    if isinstance(exc, smtplib.SMTPSenderRefused) and code == 552:  # declared size too big
        return DeliveryRejected(reason)
    if content_sent and not isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryUncertain(f"{reason} (after the message was sent)")
    return DeliveryError(reason)


def _close(client: smtplib.SMTP | None, polite: bool = False) -> None:
    if client is None:
        return
    try:
        if polite:
            client.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        client.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
