"""The text of a claim as the claim matcher and the learned second opinion see it.

Both compare *what is claimed*, so both see the same thing: the folded words (no diacritics,
lowercase, look-alike letters undone, so a repost typed without accents or with evasions is the
same text), with numbers reduced to a placeholder (a fake notice reposted with another date or
amount is the same notice). Word n-grams carry the wording, character n-grams within words
survive spelling variants and reworded inflections. Authors, accounts and sources are never
features: the vectors are built from the claim's words only.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from nlp.normalize import fold

_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_NON_WORD = re.compile(r"[^\w]+")


def claim_text(title: str | None, text: str | None) -> str:
    """Folded title and body with numbers (dates, amounts, phone numbers) made one token."""
    joined = f"{title or ''}\n{text or ''}"
    folded = _NUMBER.sub(" 0 ", fold(joined).lower())
    return _NON_WORD.sub(" ", folded).strip()


def claim_vectorizer(min_df: int = 1) -> FeatureUnion:
    """TF-IDF over word 1-2-grams and character 3-5-grams, L2-normalised per part.

    Input is already ``claim_text``: the vectorizers do no lowercasing or accent handling of
    their own, so what is compared is exactly what ``claim_text`` produced.
    """
    common = {"lowercase": False, "sublinear_tf": True, "min_df": min_df, "dtype": np.float32}
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), **common)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common)),
        ]
    )
