"""Tips forwarded to the intake mailbox: one email, one item.

For the platforms without an open interface (Zalo, LinkedIn, Zing Me, closed groups),
analysts or the public forward a post's text, link or screenshot. Of the sender only the
address needed to answer is kept.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.errors import MessageDefect
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime

from crawler.text import html_to_text, normalize_text

_LINK = re.compile(r"https?://[^\s<>\"')\]]+")
_FORWARD_PREFIX = re.compile(r"^\s*((fwd?|tv|chuyển tiếp|fw)\s*:\s*)+", re.I)
_FATAL_DEFECTS = (
    "NoBoundaryInMultipartDefect",
    "StartBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
)


class TipError(ValueError):
    """A message that cannot become an item; it stays in the mailbox, flagged."""


@dataclass(frozen=True)
class Tip:
    key: str  # stable identity: the Message-ID, or a hash of the message
    title: str
    text: str
    link: str | None
    reply_to: str | None
    received_at: datetime | None

    @property
    def canonical_url(self) -> str:
        return f"tipline:{self.key}"


def parse_tip(raw: bytes) -> Tip:
    message = message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage):
        raise TipError("not an email message")
    fatal = [type(d).__name__ for d in _defects(message) if type(d).__name__ in _FATAL_DEFECTS]
    if fatal:
        raise TipError(f"malformed message: {', '.join(sorted(set(fatal)))}")
    body = _text_of(message)
    attachments = _attachment_texts(message)
    text = normalize_text("\n\n".join(p for p in [body, *attachments] if p))
    if not text:
        raise TipError("no text in the message (an image alone needs a caption or a link)")
    subject = _FORWARD_PREFIX.sub("", str(message.get("Subject", "") or "")).strip()
    link = next(iter(_LINK.findall(text)), None)
    message_id = str(message.get("Message-ID", "") or "").strip("<> ")
    key = message_id or hashlib.sha256(raw).hexdigest()[:32]
    sender = parseaddr(str(message.get("Reply-To") or message.get("From") or ""))[1] or None
    return Tip(key, subject or text.split("\n", 1)[0][:200], text, link, sender, _date(message))


def _defects(message: EmailMessage) -> list[MessageDefect]:
    found = list(message.defects)
    for part in message.walk():
        found += list(part.defects)
    return found


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def _attachment_texts(message: EmailMessage) -> list[str]:
    """Text attachments are read; images and other binaries are not (no OCR here)."""
    texts = []
    for part in message.iter_attachments():
        if part.get_content_maintype() == "text":
            content = part.get_content()
            texts.append(html_to_text(content) if part.get_content_subtype() == "html" else content)
    return texts


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = parsedate_to_datetime(str(message.get("Date")))
    except (TypeError, ValueError):
        return None
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
