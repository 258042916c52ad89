"""A real SMTP server for tests (aiosmtpd) on 127.0.0.1, optionally with STARTTLS and login,
and with the faults of real servers: a size limit answered with 552 after DATA, a reply that
never comes after DATA, a temporary refusal of MAIL FROM."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    rejected_sizes: list[int] = field(default_factory=list)
    data_commands: int = 0  # message contents that reached the server, accepted or not


@dataclass
class Faults:
    """What the server does wrong; tests change these between deliveries."""

    max_bytes: int | None = None  # larger contents get "552 5.3.4" after DATA
    stall_after_data: float = 0  # seconds to wait before answering the content
    refuse_mail: int = 0  # answer MAIL FROM with 451 this many times


class Handler:
    def __init__(self, received: Received, faults: Faults) -> None:
        self.received = received
        self.faults = faults

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.faults.refuse_mail > 0:
            self.faults.refuse_mail -= 1
            return "451 4.3.0 temporarily unable to accept mail"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if "refuse" in address:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.data_commands += 1
        size = len(envelope.content)
        if self.faults.max_bytes is not None and size > self.faults.max_bytes:
            self.received.rejected_sizes.append(size)
            return "552 5.3.4 message size exceeds fixed maximum message size"
        if self.faults.stall_after_data:
            await asyncio.sleep(self.faults.stall_after_data)
        self.received.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, for STARTTLS tests."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class SmtpServer:
    """Start/stop a real SMTP server; ``received`` collects what it accepted."""

    def __init__(
        self, port: int, tls: tuple[Path, Path] | None = None, login: tuple[str, str] | None = None
    ) -> None:
        self.port = port
        self.received = Received()
        self.faults = Faults()
        kwargs: dict[str, Any] = {}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            kwargs.update(tls_context=context, require_starttls=True)
        if login is not None:

            def authenticate(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                ok = (
                    isinstance(data, LoginPassword)
                    and (data.login.decode(), data.password.decode()) == login
                )
                return AuthResult(success=ok)

            kwargs.update(authenticator=authenticate, auth_required=True)
        self.controller = Controller(
            Handler(self.received, self.faults), hostname="127.0.0.1", port=port, **kwargs
        )

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()
