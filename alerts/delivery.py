"""Delivering a digest: an email message, sent by SMTP or written to the outbox folder."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path


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
    """Nothing or not everything was delivered; the digest stays open and is retried."""


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
    """Send; returns the recipients the server refused (others got it). Raises
    DeliveryError when nobody got it (server down, login refused, all refused, timeout)."""

    try:
        if options.tls == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                options.host,
                options.port,
                timeout=options.timeout,
                context=options.tls_context(),
            )
        else:
            client = smtplib.SMTP(options.host, options.port, timeout=options.timeout)
        with client:
            if options.tls == "starttls":
                client.starttls(context=options.tls_context())

            if options.user:
                client.login(options.user, options.password or "")
            refused = client.send_message(message, options.sender, recipients)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP {options.host}:{options.port}: {exc}") from exc
    return {rcpt: f"{code} {_text(reply)}" for rcpt, (code, reply) in refused.items()}


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
