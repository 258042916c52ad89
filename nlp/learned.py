"""The learned second opinion: how likely a claim is to need the office's answer.

This module is the specification a reviewer checks the code against.

Features. Exactly those of claim matching (nlp/claim_vectors.py): ``x = V(claim_text(title,
text))``, TF-IDF over folded word 1-2-grams and character 3-5-grams, with terms seen in at
least ``MIN_DF`` training texts. Nothing else: never the source, its trust, the author or an
account. The model learns which *wordings of claims* the office had to answer, not who
posted them.

Model. Logistic regression with balanced class weights (each class weighs as much in the
loss as the other, however few verdicts of one kind there are) and regularisation ``C``:

    p(x) = 1 / (1 + exp(-(w . x + b)))

Labels are booleans: True when the claim needed the office's answer. What a verdict means as
a label is decided by the caller (monitor/learning.py), which knows the workflow.

Cross-validation. Stratified k-fold, ``k = min(folds, examples in the smaller class)``,
shuffled with a fixed seed, so the same examples give the same figures. The vectorizer is
fitted inside each fold: held-out texts add nothing to the vocabulary or IDF they are scored
with. From the out-of-fold probabilities:

    precision, recall, F1   of the decision p >= 0.5
    average precision (AP)  threshold-free: how well p ranks the examples (the queue's use)
    positive rate           the share of positive examples = the AP a random ranking expects

Acceptance (``refusal``), in this order:

    too few       fewer than MIN_PER_CLASS examples in a class: nothing to cross-validate
    chance        AP < positive rate + min_lift: no better than ranking at random
                  (on the dev set, models trained on shuffled labels scored AP - rate
                  between -0.07 and +0.06 over ten shuffles; the real labels +0.44)
    worse         AP or F1 lower than the current model's by more than ``tolerance``

Worse compares each model's cross-validated figures on its own training examples, the only
figures both have; a model trained on other seeds is compared on other ground, so the
service's scheduled retraining should name the same seeds that `learn` was given.

Stored form. A model is a handful of arrays: the two vocabularies (terms in column order),
their IDF weights, ``w`` and ``b``, saved with ``numpy.savez_compressed`` and read back with
``numpy.load(allow_pickle=False)``. A pickle would run whatever code its bytes name when
loaded, and the model lives in a database that other processes and people write to; it would
also tie stored models to one scikit-learn version's private attributes. Arrays of numbers
and strings can only ever be data, and they are checked for shape before use.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

from nlp.claim_vectors import claim_text, claim_vectorizer

MIN_DF = 2
C = 10.0
SEED = 0
MIN_PER_CLASS = 5
PARTS = ("words", "chars")


@dataclass(frozen=True)
class Figures:
    """Cross-validated figures of one training run."""

    examples: int
    positives: int
    folds: int
    precision: float
    recall: float
    f1: float
    average_precision: float

    @property
    def positive_rate(self) -> float:
        return self.positives / self.examples if self.examples else 0.0


@dataclass(frozen=True)
class Policy:
    folds: int = 5
    min_lift: float = 0.15
    tolerance: float = 0.02


class ModelFormatError(ValueError):
    """Stored bytes that are not a model of this shape."""


def _pipeline():  # type: ignore[no-untyped-def]
    return make_pipeline(
        claim_vectorizer(min_df=MIN_DF),
        LogisticRegression(class_weight="balanced", C=C, max_iter=2000),
    )


def too_few(labels: Sequence[bool]) -> str | None:
    """Why these labels cannot be cross-validated, or None."""
    positives = sum(map(bool, labels))
    negatives = len(labels) - positives
    if min(positives, negatives) < MIN_PER_CLASS:
        return (
            f"too few examples: {positives} positive and {negatives} negative; "
            f"each class needs at least {MIN_PER_CLASS}"
        )
    return None


def cross_validate(texts: Sequence[str], labels: Sequence[bool], folds: int = 5) -> Figures:
    """Out-of-fold figures; ``texts`` are claim_text output. Needs ``too_few`` to be None."""
    y = np.array([bool(v) for v in labels])
    positives = int(y.sum())
    k = max(2, min(folds, positives, len(y) - positives))
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=SEED)
    p = cross_val_predict(_pipeline(), list(texts), y, cv=cv, method="predict_proba")[:, 1]
    decided = p >= 0.5
    return Figures(
        examples=len(y),
        positives=positives,
        folds=k,
        precision=float(precision_score(y, decided, zero_division=0.0)),
        recall=float(recall_score(y, decided, zero_division=0.0)),
        f1=float(f1_score(y, decided, zero_division=0.0)),
        average_precision=float(average_precision_score(y, p)),
    )


def refusal(new: Figures, current: Figures | None, policy: Policy) -> tuple[str, str] | None:
    """(kind, reason) when the new model must not replace the current one; kind is
    "chance" or "worse". None when it may."""
    floor = new.positive_rate + policy.min_lift
    if new.average_precision < floor:
        return (
            "chance",
            f"no better than chance: cross-validated average precision "
            f"{new.average_precision:.3f} does not exceed the positive rate "
            f"{new.positive_rate:.3f} by {policy.min_lift:g} (learning.min_lift)",
        )
    if current is None:
        return None
    for name, old, now in (
        ("average precision", current.average_precision, new.average_precision),
        ("F1", current.f1, new.f1),
    ):
        if now < old - policy.tolerance:
            return (
                "worse",
                f"worse than the current model: cross-validated {name} {now:.3f} against "
                f"{old:.3f} (tolerance {policy.tolerance:g}, learning.tolerance)",
            )
    return None


class LearnedModel:
    """A fitted model as plain arrays; ``probability`` scores one claim."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self._vectorizer = claim_vectorizer(min_df=MIN_DF)
        parts = dict(self._vectorizer.transformer_list)
        for name in PARTS:
            terms = arrays[f"{name}_terms"]
            parts[name].set_params(vocabulary={str(t): i for i, t in enumerate(terms)})
            parts[name].idf_ = arrays[f"{name}_idf"]
        self._coef = arrays["coef"]
        self._intercept = float(arrays["intercept"][0])

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[bool]) -> LearnedModel:
        pipeline = _pipeline().fit(list(texts), [bool(v) for v in labels])
        union, regression = pipeline[0], pipeline[1]
        arrays: dict[str, np.ndarray] = {}
        for name, part in union.transformer_list:
            vocabulary = part.vocabulary_
            arrays[f"{name}_terms"] = np.array(sorted(vocabulary, key=vocabulary.__getitem__))
            arrays[f"{name}_idf"] = part.idf_.astype(np.float64)
        arrays["coef"] = regression.coef_[0].astype(np.float64)
        arrays["intercept"] = regression.intercept_.astype(np.float64)
        return cls(arrays)

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """p for claim texts (claim_text output), in order."""
        if not texts:
            return []
        z = self._vectorizer.transform(list(texts)) @ self._coef + self._intercept
        return [float(v) for v in 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))]

    def probability(self, title: str | None, text: str | None) -> float:
        return self.probabilities([claim_text(title, text)])[0]

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **self.arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LearnedModel:
        """Arrays only (``allow_pickle=False``), checked for names, kinds and shapes."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (OSError, ValueError, EOFError) as exc:
            raise ModelFormatError(f"not a stored model: {exc}") from None
        expected = {f"{n}_{k}" for n in PARTS for k in ("terms", "idf")} | {"coef", "intercept"}
        if set(arrays) != expected:
            raise ModelFormatError(f"stored model has arrays {sorted(arrays)}")
        width = 0
        for name in PARTS:
            terms, idf = arrays[f"{name}_terms"], arrays[f"{name}_idf"]
            if terms.dtype.kind != "U" or idf.dtype.kind != "f" or terms.shape != idf.shape:
                raise ModelFormatError(f"stored model: bad {name} vocabulary")
            width += len(terms)
        if arrays["coef"].shape != (width,) or arrays["intercept"].shape != (1,):
            raise ModelFormatError("stored model: coefficients do not fit the vocabulary")
        if not (np.isfinite(arrays["coef"]).all() and np.isfinite(arrays["intercept"]).all()):
            raise ModelFormatError("stored model: coefficients are not numbers")
        return cls(arrays)

    @property
    def version(self) -> str:
        """A hash of the arrays: the same model always has the same version."""
        digest = hashlib.sha256()
        for name in sorted(self.arrays):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(self.arrays[name]).tobytes())
        return digest.hexdigest()[:16]
