"""The analysis stage: new and changed items analyzed; after a rule change, only the items
the change can affect are analyzed again, and the alerts that would appear or disappear
are reported.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from sqlalchemy.orm import Session

from alerts.queue import create_alerts
from alerts.recurring import MatchPolicy, apply_auto_verdicts, decide
from monitor.claim_matching import ClaimMatcher
from monitor.config import Config
from monitor.learning import LearningOptions, model_in_force
from monitor.logcontext import set_run
from monitor.wiring import alerts_per_source_per_run, learning_options, match_policy, ruleset
from nlp.analyzer import AnalysisResult, Analyzer
from nlp.learned import LearnedModel
from nlp.rule_changes import ChangeScope, change_scope
from nlp.rules import revision_of, ruleset_from_dict, ruleset_to_dict
from storage.analyses import (
    PendingItem,
    mark_current,
    pending_items,
    record_ruleset,
    ruleset_spec,
    save_analysis,
)
from storage.claims import MatchRecord, save_match
from storage.db import Database
from storage.locks import ALERTS_KEY, serialize
from storage.runs import finish_run, start_run
from storage.status import held_back_alerts

log = logging.getLogger("press_monitor.analysis")


@dataclass(frozen=True)
class Flip:
    item_id: int
    title: str
    score: float
    alert_id: int | None = None
    alert_status: str | None = None


@dataclass
class AnalysisReport:
    analyzed: int = 0
    kept: int = 0
    flagged: int = 0
    appear: list[Flip] = field(default_factory=list)
    disappear: list[Flip] = field(default_factory=list)
    new_alerts: list[int] = field(default_factory=list)
    # flagged items left without an alert by the per-source cap, per source name
    held_back: dict[str, int] = field(default_factory=dict)
    stopped: bool = False
    linked: int = 0  # items linked to a claim the office has checked
    auto_verdicts: list[int] = field(default_factory=list)


@dataclass
class _Matching:
    """Claim matching for one run: the policy and the run's index (None when off)."""

    policy: MatchPolicy
    matcher: ClaimMatcher


def analyze(
    db: Database,
    config: Config,
    dry_run: bool = False,
    analyzer: Analyzer | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[str], None] | None = None,
    item_ids: Sequence[int] | None = None,
) -> AnalysisReport:
    """Analyze what needs it; with ``dry_run`` nothing is written, only reported. With
    ``item_ids`` (a cluster's analysis task), only those items, and no run is recorded (a
    task is too small to be one).

    Work is committed batch by batch, so ``stop`` (set on SIGTERM) ends it at a batch
    boundary and the next run continues with what is left.
    """
    analyzer = analyzer or Analyzer(ruleset(config))
    opinion = SecondOpinion(model_in_force(db), learning_options(config))
    policy = match_policy(config)
    matching = (
        _Matching(policy, ClaimMatcher(config.recurring.background_items)) if policy else None
    )
    report = AnalysisReport()
    scopes: dict[str, ChangeScope] = {}
    with db.session() as session:
        run_id = None if dry_run or item_ids is not None else start_run(session, "analyze").id
        record_ruleset(session, analyzer.version, ruleset_to_dict(analyzer.rules))
    set_run(run_id)
    with db.sessions() as session:
        for batch in pending_items(session, analyzer.version, ids=item_ids):
            if stop is not None and stop.is_set():
                report.stopped = True
                break
            for item in batch:
                _analyze_one(session, analyzer, opinion, item, scopes, report, dry_run, matching)
            if dry_run:
                session.rollback()
            else:
                session.commit()
            if progress is not None:
                progress(f"  analyzed {report.analyzed} items, {report.flagged} flagged so far")
        if not dry_run:
            serialize(session, ALERTS_KEY)
            report.new_alerts = create_alerts(session, alerts_per_source_per_run(config))
            if policy is not None and policy.auto_verdict:
                report.auto_verdicts = apply_auto_verdicts(session, report.new_alerts)
            report.held_back = held_back_alerts(session)
            session.commit()
            for name, count in report.held_back.items():
                log.warning(
                    "source %s: %d flagged items wait for an alert (limits.alerts_per_source_"
                    "per_run is %s)",
                    name,
                    count,
                    alerts_per_source_per_run(config),
                    extra={"source": name},
                )
    if run_id is not None:
        with db.session() as session:
            finish_run(
                session,
                run_id,
                "done",
                {
                    "analyzed": report.analyzed,
                    "kept": report.kept,
                    "flagged": report.flagged,
                    "appear": len(report.appear),
                    "disappear": len(report.disappear),
                    "alerts": len(report.new_alerts),
                    "held_back": report.held_back,
                    "linked": report.linked,
                },
            )
    return report


@dataclass(frozen=True)
class SecondOpinion:
    """The learned model in force (None before `learn` stored one) and what it may do.

    Its probability is stored with every analysis. It flags an item only when
    ``learning.may_flag`` is true, the rules did not flag it, the item mentions the watched
    locality (the model knows words of claims, not places) and p >= flag_threshold; then the
    explanation says the model flagged it.
    """

    model: LearnedModel | None
    options: LearningOptions

    def apply(
        self, item: PendingItem, result: AnalysisResult
    ) -> tuple[AnalysisResult, dict[str, Any]]:
        if self.model is None:
            return result, {}
        p = self.model.probability(item.title, item.text)
        learned = {"learned_probability": p, "learned_version": self.model.version}
        explanation = {**result.explanation, "learned": {"probability": p}}
        threshold = self.options.flag_threshold
        if self.options.may_flag and not result.flagged and result.localities and p >= threshold:
            explanation["learned"]["flagged"] = True
            explanation["notes_vi"] = [
                *result.explanation.get("notes_vi", []),
                f"Mô hình học từ kết luận xác minh gắn cờ tin này: xác suất cần xác minh "
                f"{round(p * 100)}% đạt ngưỡng {round(threshold * 100)}% của mô hình "
                "(learning.may_flag), dù điểm quy tắc không đạt ngưỡng.",
            ]
            return replace(result, flagged=True, explanation=explanation), learned
        return replace(result, explanation=explanation), learned


def _analyze_one(
    session: Session,
    analyzer: Analyzer,
    opinion: SecondOpinion,
    item: PendingItem,
    scopes: dict[str, ChangeScope],
    report: AnalysisReport,
    dry_run: bool,
    matching: _Matching | None = None,
) -> None:
    if item.previous_version is not None and not item.content_changed:
        scope = _scope(session, analyzer, item.previous_version, scopes)
        folded = analyzer.document(item.text, item.title)
        if not scope.affects(folded, set(item.previous_rules), item.previous_has_locality):
            report.kept += 1
            if not dry_run:
                mark_current(session, item.id, analyzer.version)
            return
    analysis = analyzer.analyze(item.text, item.title, item.trust)
    matched, link = _with_claims(session, item, analysis, matching)
    result, learned = opinion.apply(item, matched)
    report.analyzed += 1
    report.flagged += int(result.flagged)
    report.linked += int(link is not None)
    _record_flip(item, result, report)
    if not dry_run:
        save_analysis(
            session,
            item.id,
            analyzer.version,
            item.content_hash,
            {
                "localities": result.localities,
                "matches": result.matches,
                "score": result.score,
                "flagged": result.flagged,
                "explanation": result.explanation,
                **learned,
            },
            trust=item.trust,
        )
        save_match(session, item.id, link)


def _with_claims(
    session: Session, item: PendingItem, result: AnalysisResult, matching: _Matching | None
) -> tuple[AnalysisResult, MatchRecord | None]:
    """A reference item is a claim, never an alert; any other item is matched against the
    claims, and the match may change its flag and score (alerts/recurring.py)."""
    if item.reference:
        if matching is not None:
            matching.matcher.add_reference(session, item.id, item.title, item.text)
        explanation = dict(result.explanation)
        explanation["flagged"] = False
        explanation["notes_vi"] = [
            *explanation.get("notes_vi", []),
            "Tin của nguồn tham chiếu: dùng để đối chiếu, không tạo cảnh báo.",
        ]
        return replace(result, flagged=False, explanation=explanation), None
    if matching is None:
        return result, None
    candidate = matching.matcher.best(session, item.id, item.title, item.text)
    # the fields as they are, not asdict's deep copy (a third of a millisecond an item):
    # decide builds new containers for whatever it changes
    fields_now = {f.name: getattr(result, f.name) for f in fields(result)}
    changed, link = decide(fields_now, candidate, matching.policy)
    return AnalysisResult(**changed), link


def _scope(
    session: Session, analyzer: Analyzer, version: str, scopes: dict[str, ChangeScope]
) -> ChangeScope:
    if version not in scopes:
        spec = ruleset_spec(session, version)
        old = ruleset_from_dict(spec) if spec else None
        scopes[version] = change_scope(old, analyzer.rules, revision_of(spec) if spec else None)
    return scopes[version]


def _record_flip(item: PendingItem, result: AnalysisResult, report: AnalysisReport) -> None:
    if item.previous_version is None:
        if result.flagged:
            report.appear.append(Flip(item.id, item.title, result.score))
        return
    if result.flagged and item.alert_id is None:
        report.appear.append(Flip(item.id, item.title, result.score))
    elif not result.flagged and item.previous_flagged and item.alert_id is not None:
        report.disappear.append(
            Flip(item.id, item.title, result.score, item.alert_id, item.alert_status)
        )
