"""Decoding pages from the wild: wrong charset declarations, Windows-1258, BOMs.

Vietnamese sites still declare iso-8859-1 while sending UTF-8, or send Windows-1258 (which
composes tones with combining marks). A byte string with non-ASCII bytes that decodes as
UTF-8 is, in practice, UTF-8; so UTF-8 is tried first and the declaration only after.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding=["']([A-Za-z0-9_.:-]+)""", re.I)


def sniff_declared(body: bytes) -> str | None:
    head = body[:4096]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def decode_body(body: bytes, header_charset: str | None = None) -> str:
    """Text of a response body, NFC-normalized."""
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_declared(body, [header_charset, sniff_declared(body), "cp1258"])
    return unicodedata.normalize("NFC", text)


def _decode_declared(body: bytes, candidates: list[str | None]) -> str:
    for name in candidates:
        if not name:
            continue
        try:
            codec = codecs.lookup(_alias(name)).name
        except LookupError:
            continue
        if codec == "utf-8":
            continue
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", errors="replace")


def _alias(name: str) -> str:
    name = name.strip().lower()
    return {"windows-1258": "cp1258", "x-cp1258": "cp1258"}.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset=([\w.:-]+)", content_type, re.I)
    return match.group(1) if match else None
