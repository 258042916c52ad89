"""One character's folding, and the characters that text written to slip past the rules uses.

Shared by the folding (``nlp.normalize``) and the look-alike table (``nlp.look_alikes``),
which is built from what each letter folds to.
"""

from __future__ import annotations

import re
import unicodedata

SPECIAL_FOLDS = {"đ": "d", "Đ": "d", "ð": "d", "ı": "i"}
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
SOFT_HYPHEN = "\u00ad"
FULL_WIDTH = range(0xFF01, 0xFF5F)  # full-width ASCII: U+FF01 is "!", U+FF5E "~"


def base_fold(char: str) -> str:
    """The folding of one character as it always was: lowercase, no diacritics, đ -> d."""
    special = SPECIAL_FOLDS.get(char)
    if special is not None:
        return special
    if unicodedata.combining(char):
        return ""
    base = unicodedata.normalize("NFD", char)[0]
    lowered = base.lower()
    return lowered[0] if lowered else base


_LATIN_NAME = re.compile(
    r"LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z])(?: WITH .+)?"
)


def latin_base(char: str) -> str | None:
    """The letter a Latin variant is named for: 'ɗ' (D WITH HOOK) -> 'd', 'ʟ' -> 'l'."""
    named = _LATIN_NAME.fullmatch(unicodedata.name(char, ""))
    return named.group(1).lower() if named else None
