"""Encoding Vietnamese the way old sites do, for fixtures."""

from __future__ import annotations

import unicodedata

_MODIFIERS = "\u0302\u0306\u031b"  # circumflex, breve, horn: precomposed in Windows-1258


def to_cp1258(text: str) -> bytes:
    """Windows-1258 bytes: vowels with their modifier precomposed, tones as combining marks."""
    out = []
    for char in text:
        base, *marks = unicodedata.normalize("NFD", char)
        modifiers = "".join(m for m in marks if m in _MODIFIERS)
        tones = "".join(m for m in marks if m not in _MODIFIERS)
        out.append(unicodedata.normalize("NFC", base + modifiers) + tones)
    return "".join(out).encode("cp1258")
