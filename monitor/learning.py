"""Learning from verdicts: `press-monitor learn` and the service's scheduled retraining.

What a verdict teaches. The model answers one question: *did this claim need the office's
answer?* An analyst's verdict answers it for the items they judged:

    verified_false, misleading  -> True   the office had to correct it
    verified_true               -> False  checked and true: nothing to correct
    dismissed                   -> False  not worth checking
    new, in_review              -> (not used: no verdict yet)

Only the current verdict of an alert counts (a verdict changed later replaces the earlier
one); items whose text retention has purged are left out. Seed examples (labelled JSON lines
as for `eval`, read by monitor.evaluate.read_cases) give their ``flag`` label, which is
broader (an item an analyst must see); they are a starting point that the office's own
verdicts outweigh as they accumulate. A text that occurs more than once is one example, and
a verdict on it overrides a seed's label.

Features are the claim's words only (nlp/learned.py); authors, accounts and sources never
reach the model.

After a model is accepted it is stored as a new version, and the alerts still waiting for
a verdict get its probability at once, so the queue is ordered by the model in force; items
analysed later get it at analysis time (monitor/analysis.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from monitor.evaluate import read_cases
from nlp.claim_vectors import claim_text
from nlp.learned import Figures, LearnedModel, Policy, cross_validate, refusal, too_few
from nlp.rules import analyzer_revision
from storage.db import Database
from storage.learned import (
    current_model,
    judged_items,
    open_alert_items,
    save_model,
    set_probabilities,
)
from storage.models import LearnedModelRecord

log = logging.getLogger("press_monitor.learning")

LABELS = {"verified_false": True, "misleading": True, "verified_true": False, "dismissed": False}
WAITING = ("new", "in_review")


@dataclass(frozen=True)
class LearningOptions:
    """Built from config.yaml's ``learning:`` by monitor/wiring.py."""

    seeds: tuple[Path, ...] = ()
    policy: Policy = field(default_factory=Policy)
    may_flag: bool = False
    flag_threshold: float = 0.9


@dataclass(frozen=True)
class LearnOutcome:
    """What one training run did. ``refused`` is ("too_few"|"chance"|"worse", reason)."""

    verdicts: int
    seed_examples: int
    figures: Figures | None = None
    refused: tuple[str, str] | None = None
    version: str | None = None
    number: int | None = None
    replaced: int | None = None
    rescored: int = 0


def examples(session: Session, seeds: tuple[Path, ...]) -> tuple[dict[str, bool], int, int]:
    """{claim text: label}, and how many came from verdicts and from seeds.

    Raises monitor.evaluate.EvalInputError for a seed file that cannot be read.
    """
    labelled: dict[str, bool] = {}
    for case in read_cases(seeds):
        labelled.setdefault(claim_text(case.title, case.text), case.flag)
    verdict_texts: set[str] = set()
    for judged in judged_items(session, tuple(LABELS)):
        text = claim_text(judged.title, judged.text)
        if text:
            labelled[text] = LABELS[judged.status]
            verdict_texts.add(text)
    return labelled, len(verdict_texts), len(labelled) - len(verdict_texts)


def learn(db: Database, options: LearningOptions, force: bool = False) -> LearnOutcome:
    """Train, cross-validate, and store the model unless it is refused.

    ``force`` overrides a refusal for being worse than the current model, never one for
    being no better than chance or for too few examples.
    """
    with db.session() as session:
        labelled, verdicts, seeds = examples(session, options.seeds)
        record = current_model(session)
        current = _figures(record) if record else None
        current_number = record.id if record else None
    texts, labels = list(labelled), list(labelled.values())
    few = too_few(labels)
    if few:
        return LearnOutcome(verdicts, seeds, refused=("too_few", few))
    figures = cross_validate(texts, labels, options.policy.folds)
    refused = refusal(figures, current, options.policy)
    if refused and not (force and refused[0] == "worse"):
        return LearnOutcome(verdicts, seeds, figures, refused=refused)
    model = LearnedModel.fit(texts, labels)
    with db.session() as session:
        stored = store(session, model, figures, verdicts, seeds, forced=refused is not None)
        number = stored.id
        waiting = open_alert_items(session, WAITING)
        scores = model.probabilities([claim_text(title, text) for _, title, text in waiting])
        by_item = {row[0]: p for row, p in zip(waiting, scores, strict=True)}
        set_probabilities(session, model.version, by_item)
    return LearnOutcome(
        verdicts,
        seeds,
        figures,
        version=model.version,
        number=number,
        replaced=current_number,
        rescored=len(waiting),
    )


# LearnedModelRecord's columns for the cross-validated figures, and their Figures fields
_COLUMNS = {
    "positives": "positives",
    "folds": "folds",
    "cv_precision": "precision",
    "cv_recall": "recall",
    "cv_f1": "f1",
    "cv_average_precision": "average_precision",
}


def store(
    session: Session,
    model: LearnedModel,
    figures: Figures,
    verdicts: int,
    seeds: int,
    forced: bool = False,
) -> LearnedModelRecord:
    """A new version with the figures it was accepted on."""
    return save_model(
        session,
        version=model.version,
        verdicts=verdicts,
        seed_examples=seeds,
        forced=forced,
        revision=analyzer_revision(),
        arrays=model.to_bytes(),
        **{column: getattr(figures, name) for column, name in _COLUMNS.items()},
    )


def _figures(record: LearnedModelRecord) -> Figures:
    values = {name: getattr(record, column) for column, name in _COLUMNS.items()}
    return Figures(examples=record.examples, **values)


_LOADED: dict[str, LearnedModel] = {}


def model_in_force(db: Database) -> LearnedModel | None:
    """The current model, loaded once per version in this process."""
    with db.session() as session:
        record = current_model(session)
        if record is None:
            return None
        if record.version not in _LOADED:
            _LOADED.clear()
            _LOADED[record.version] = LearnedModel.from_bytes(record.arrays)
        return _LOADED[record.version]


def describe(outcome: LearnOutcome) -> list[str]:
    """The lines `learn` prints (and the service logs)."""
    lines = [
        f"examples: {outcome.verdicts + outcome.seed_examples} "
        f"(verdicts: {outcome.verdicts}, seed examples: {outcome.seed_examples})"
    ]
    f = outcome.figures
    if f is not None:
        lines.append(
            f"positives: {f.positives}, negatives: {f.examples - f.positives} "
            f"(positive rate {f.positive_rate:.3f})"
        )
        lines.append(
            f"cross-validated (stratified {f.folds}-fold): precision {f.precision:.3f}  "
            f"recall {f.recall:.3f}  f1 {f.f1:.3f}  average precision {f.average_precision:.3f}"
        )
    if outcome.version is not None:
        replaced = (
            ""
            if not outcome.replaced
            else " (the same model as before)"
            if outcome.replaced == outcome.number
            else f", replacing version {outcome.replaced}"
        )
        lines.append(
            f"stored model version {outcome.number} ({outcome.version}){replaced}; "
            f"{outcome.rescored} open alerts rescored"
        )
    return lines
