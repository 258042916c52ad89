"""Claim matching: find the stored claim a new text repeats, at a cost that does not grow with
the number of stored claims.

Texts are ``nlp.claim_vectors.claim_text`` (folded, numbers as one token), so a repost typed
without diacritics or with another date is the same text. Features are the claim's words
only; authors, accounts and sources are never indexed.

Two steps per query:

1. **Candidates** from an inverted index over word 1- and 2-grams, hashed into
   ``BUCKETS`` buckets. A posting list holds at most ``postings_cap`` claims; a feature found
   in more claims than that is common (a word of every notice, "thông báo", "người dân")
   and its list is dropped. The query keeps only its ``rare_features`` rarest features that
   some claim has, and scores each claim by the summed weight ``log(N / df)`` of the features
   it shares; the ``candidates`` best go on. So one query reads at most
   ``rare_features * postings_cap`` postings, whether 1,000 or 1,000,000 claims are stored.
2. **Exact similarity** on the candidates: cosine of TF-IDF vectors (``claim_vectorizer``:
   folded word 1-2-grams and character 3-5-grams, each part L2-normalised, the concatenation
   normalised again), between the *shorter* text as a whole and the best window of the
   longer one of about the same length::

       similarity(a, b) = max over windows w of long(a, b) of cos(tfidf(short(a, b)), tfidf(w))

   A 40-word post quoting a 600-word article is compared with the passage it quotes, not
   drowned in the rest of the article; two texts of similar length are compared whole, so a
   shared boilerplate template does not make two different claims one (the words of the
   claim that differ are part of the comparison).

The IDF is fitted once, when the index is built, on the stored claims (an evenly spaced
sample of at most ``fit_sample`` of them) plus a *background* of recently collected items
that the caller passes (the stream the new items come from, including the items about to be
analysed), and then frozen: claims added later are indexed with the same weights, so every
comparison an index makes uses one scale and a similarity threshold means the same for the
first and the last item of a run. Why this corpus: the claims alone would make a 10-claim
archive call every word rare, and a vocabulary without the new items' words would drop them
from the query vector (a vectorizer ignores unseen terms), which inflates the similarity of
"same template, different claim"; the background stream supplies both the common words and
the new items' vocabulary. The index is rebuilt (and the IDF refitted) once per analysis
run; within a run it is stable.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from sklearn.preprocessing import normalize

from nlp.claim_vectors import claim_vectorizer

BUCKETS = 1 << 20
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ClaimHit:
    """A stored claim and how similar the query is to it (0..1)."""

    key: int
    similarity: float


@dataclass(frozen=True, slots=True)
class IndexSettings:
    postings_cap: int = 400
    rare_features: int = 40
    candidates: int = 12
    fit_sample: int = 20_000
    max_words: int = 1500  # words of a text that are compared (a claim is in its opening)
    min_window: int = 25  # the shortest window a long text is cut into


def features(text: str) -> set[int]:
    """Hashed word 1- and 2-grams of a claim text (the candidate features)."""
    words = _WORD.findall(text)
    grams = words + [f"{a} {b}" for a, b in pairwise(words)]
    return {hash(g) % BUCKETS for g in grams}


class ClaimIndex:
    """Stored claims by key (the caller's id), queried with one new text at a time."""

    def __init__(
        self,
        claims: Iterable[tuple[int, str]],
        background: Iterable[str] = (),
        settings: IndexSettings | None = None,
    ) -> None:
        self.settings = settings or IndexSettings()
        stored = list(claims)
        step = max(1, math.ceil(len(stored) / self.settings.fit_sample))
        corpus = [text for _, text in stored[::step]] + list(background)
        self.vectorizer = claim_vectorizer()
        self.vectorizer.fit(corpus or ["0"])
        self._texts: dict[int, str] = {}
        self._df = np.zeros(BUCKETS, dtype=np.int32)
        self._postings: dict[int, array[int]] = {}
        for key, text in stored:
            self.add(key, text)

    def __len__(self) -> int:
        return len(self._texts)

    def add(self, key: int, text: str) -> None:
        """Index one claim (again: a key already present keeps its first text)."""
        if key in self._texts or not text.strip():
            return
        self._texts[key] = text
        cap = self.settings.postings_cap
        for feature in features(text):
            df = int(self._df[feature]) + 1
            self._df[feature] = df
            if df <= cap:
                self._postings.setdefault(feature, array("q")).append(key)
            elif df == cap + 1:
                self._postings.pop(feature, None)  # common: no longer a candidate feature

    def query(
        self, text: str, min_similarity: float = 0.0, below: int | None = None
    ) -> list[ClaimHit]:
        """The candidates' similarities, best first, those at or above ``min_similarity``;
        with ``below``, only claims whose key is smaller (stored earlier than the query)."""
        keys = self._candidates(text, below)
        if not keys:
            return []
        hits = [
            ClaimHit(key, round(similarity, 4))
            for key, similarity in zip(keys, self._similarities(text, keys), strict=True)
        ]
        return sorted(
            (h for h in hits if h.similarity >= min_similarity),
            key=lambda h: (-h.similarity, h.key),
        )

    def _candidates(self, text: str, below: int | None) -> list[int]:
        cap = self.settings.postings_cap
        found = np.fromiter(features(text), dtype=np.int64)
        if not found.size:
            return []
        df = self._df[found]
        usable = (df > 0) & (df <= cap)
        found, df = found[usable], df[usable]
        order = np.argsort(df, kind="stable")[: self.settings.rare_features]
        total = max(len(self._texts), 1)
        scores: dict[int, float] = {}
        for feature, count in zip(found[order], df[order], strict=True):
            weight = math.log(1 + total / int(count))
            for key in self._postings[int(feature)]:
                if below is None or key < below:
                    scores[key] = scores.get(key, 0.0) + weight
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [key for key, _ in best[: self.settings.candidates]]

    def _similarities(self, text: str, keys: list[int]) -> list[float]:
        """For each candidate: the shorter text whole against the longer one's windows.

        All the texts of one query go through the vectorizer in one call (its fixed cost
        per call is larger than the cost per short text)."""
        limit = self.settings.max_words
        query = text.split()[:limit]
        texts: list[str] = []
        groups: list[tuple[int, int, int]] = []  # per candidate: the short row, windows' rows
        for key in keys:
            other = self._texts[key].split()[:limit]
            short, long = sorted((query, other), key=len)
            parts = windows(long, len(short), self.settings)
            groups.append((len(texts), len(texts) + 1, len(texts) + 1 + len(parts)))
            texts += [" ".join(short), *parts]
        rows = normalize(self.vectorizer.transform(texts)).tocsr()
        return [float((rows[first:end] @ rows[short].T).max()) for short, first, end in groups]


def windows(words: list[str], length: int, settings: IndexSettings) -> list[str]:
    """The long text cut into windows about as long as the short one (whole when close)."""
    width = max(settings.min_window, round(length * 1.2))
    if len(words) <= width * 1.5:
        return [" ".join(words)]
    step = max(1, width // 2)
    starts = range(0, max(1, len(words) - width + step), step)
    return [" ".join(words[s : s + width]) for s in starts]
