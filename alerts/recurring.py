"""What a match to a claim the office has already checked does to a new item.

A new item whose text is close enough to a claim with a verdict (``nlp.claim_index``) is
linked to it, as a *repost* or, when the item is an official denial (it matches a rule of
category ``denial`` or of negative weight), as a *denial*. A repost then does what
``MatchPolicy`` says for the earlier verdict:

- ``flag`` (default for verified false and misleading): the item is flagged even below the
  score threshold, when it mentions the watched locality (known misinformation about the
  locality is back); the digest puts it on top under "Tin đã xác minh quay lại" with the
  published clarification. With ``auto_verdict`` the new alert also takes the earlier verdict
  and clarification, and the audit trail says it was automatic.
- ``lower`` (default for verified true and dismissed): one contribution of ``-lower_by`` is
  added to the score's arithmetic (``explanation.contributions``), so the explanation shows
  the match beside the rules, and the score and flag are recomputed from the new total.
- ``none``: the link is kept and shown, nothing else.

A denial changes nothing in the score: it is linked so that analysts see the office's answer
and the claim it answers side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from alerts.labels import STATUS_LABELS
from alerts.queue import CLARIFIABLE, TransitionError, Verdict, change_status
from storage.claims import MatchRecord, matches_for
from storage.models import Alert, ClaimMatch

RECURRING = "recurring"
AUTOMATIC = "automatic: same claim as {target} (similarity {similarity:.2f})"


@dataclass(frozen=True, slots=True)
class MatchAction:
    effect: str  # flag | lower | none
    lower_by: float = 2.0


def _default_actions() -> dict[str, MatchAction]:
    return {
        "verified_false": MatchAction("flag"),
        "misleading": MatchAction("flag"),
        "verified_true": MatchAction("lower"),
        "dismissed": MatchAction("lower"),
    }


@dataclass(frozen=True)
class MatchPolicy:
    similarity: float = 0.45
    auto_verdict: bool = False
    actions: dict[str, MatchAction] = field(default_factory=_default_actions)


@dataclass(frozen=True, slots=True)
class Candidate:
    """The best stored claim for an item, as the index found it."""

    item_id: int
    alert_id: int | None
    verdict: str
    reference: bool
    similarity: float


def decide(
    result: dict[str, Any], candidate: Candidate | None, policy: MatchPolicy
) -> tuple[dict[str, Any], MatchRecord | None]:
    """The analysis result as the match changes it, and the match to store (or None)."""
    if candidate is None or candidate.similarity < policy.similarity:
        return result, None
    denial = any(m["category"] == "denial" or m["weight"] < 0 for m in result["matches"])
    kind = "denial" if denial else "repost"
    action = policy.actions.get(candidate.verdict, MatchAction("none"))
    effect = "none" if denial else action.effect
    record = MatchRecord(
        candidate.item_id,
        candidate.alert_id,
        round(candidate.similarity, 3),
        kind,
        candidate.verdict,
        candidate.reference,
        effect,
    )
    explanation = dict(result.get("explanation") or {})
    notes = list(explanation.get("notes_vi", []))
    target = _target_vi(candidate)
    verdict = STATUS_LABELS.get(candidate.verdict, candidate.verdict)
    similar = f"độ tương đồng {candidate.similarity:.2f}"
    if kind == "denial":
        notes.append(f"Tin này bác bỏ {target} ({similar}); không tính là tin lặp lại.")
    elif effect == "flag":
        if result["localities"]:
            result = {**result, "flagged": True}
            notes.append(
                f"Tin này lặp lại {target}, đã kết luận «{verdict}» ({similar}): được gắn cờ"
                + (" dù điểm dưới ngưỡng." if result["score"] < explanation["threshold"] else ".")
            )
        else:
            notes.append(
                f"Tin này lặp lại {target} ({similar}) nhưng không nhắc tới địa bàn theo dõi "
                "nên không gắn cờ."
            )
    elif effect == "lower" and explanation.get("contributions") is not None:
        explanation, result = _lowered(result, explanation, candidate, action.lower_by)
        notes.append(
            f"Tin này lặp lại {target}, đã kết luận «{verdict}» ({similar}): điểm được hạ "
            f"{action.lower_by:g}."
        )
    else:
        notes.append(f"Tin này lặp lại {target}, đã kết luận «{verdict}» ({similar}).")
    explanation.update(
        notes_vi=notes,
        flagged=result["flagged"],
        recurring={
            "kind": kind,
            "matched_item": candidate.item_id,
            "matched_alert": candidate.alert_id,
            "similarity": record.similarity,
            "verdict": candidate.verdict,
            "reference": candidate.reference,
            "effect": effect,
        },
    )
    return {**result, "explanation": explanation}, record


def _lowered(
    result: dict[str, Any], explanation: dict[str, Any], candidate: Candidate, lower_by: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One more contribution, and the score recomputed as nlp.analyzer.explain does."""
    contribution = {
        "rule": f"{RECURRING}:{_target_key(candidate)}",
        "category": RECURRING,
        "field": "text",
        "surface": "",
        "weight": -lower_by,
        "factors": [],
        "value": -lower_by,
    }
    contributions = [*explanation["contributions"], contribution]
    total = round(sum(c["value"] for c in contributions), 3)
    score = round(max(total * explanation["trust_factor"], 0.0), 3)
    flagged = bool(result["localities"]) and score >= explanation["threshold"]
    explanation = {
        **explanation,
        "contributions": contributions,
        "total": total,
        "score": score,
        "flagged": flagged,
    }
    return explanation, {**result, "score": score, "flagged": flagged}


def _target_key(candidate: Candidate) -> str:
    return f"alert#{candidate.alert_id}" if candidate.alert_id else f"item#{candidate.item_id}"


def _target_vi(candidate: Candidate) -> str:
    if candidate.alert_id:
        return f"cảnh báo #{candidate.alert_id}"
    return f"cảnh báo của nguồn tham chiếu (tin #{candidate.item_id})"


def apply_auto_verdicts(session: Session, alert_ids: list[int]) -> list[int]:
    """New alerts that repeat a false or misleading claim take its verdict and clarification.

    Only when the policy asks for it (``recurring.auto_verdict``); the audit entry's actor is
    "system" and its note says the verdict was automatic and which claim it came from.
    """
    alerts = {a.id: a for a in session.scalars(select(Alert).where(Alert.id.in_(alert_ids)))}
    matches = matches_for(session, [a.item_id for a in alerts.values()])
    done = []
    for alert in alerts.values():
        match = matches.get(alert.item_id)
        if match is None or match.kind != "repost" or match.verdict not in CLARIFIABLE:
            continue
        verdict = _inherited(match)
        if verdict is None:
            continue
        try:
            with session.begin_nested():
                change_status(session, alert.id, verdict)
        except TransitionError:
            continue
        done.append(alert.id)
    return done


def _inherited(match: ClaimMatch) -> Verdict | None:
    target = (
        f"alert #{match.matched_alert_id}"
        if match.matched_alert_id
        else f"reference item #{match.matched_item_id}"
    )
    note = AUTOMATIC.format(target=target, similarity=match.similarity)
    earlier = match.matched_alert
    if earlier is not None:
        if earlier.status not in CLARIFIABLE:
            return None  # the earlier verdict changed since the match
        return Verdict(
            earlier.status, "system", note, earlier.clarification, earlier.clarification_link
        )
    item = match.matched_item
    return Verdict(match.verdict, "system", note, _reference_clarification(match), item.url)


def _reference_clarification(match: ClaimMatch) -> str:
    item = match.matched_item
    return f"{item.source.name}: {item.title}"


@dataclass(frozen=True)
class LinkView:
    """A match as analysts read it (review page, `alerts show`, digest)."""

    kind: str
    kind_vi: str
    similarity: float
    matched_alert: int | None
    matched_item: int
    reference: bool
    source: str
    title: str
    url: str
    verdict: str  # the earlier claim's verdict now (or at the match, for a reference)
    verdict_vi: str
    clarification: str | None
    link: str | None
    published: bool
    returning: bool  # a repost of a claim found false or misleading

    def summary(self) -> str:
        target = (
            f"alert #{self.matched_alert}"
            if self.matched_alert
            else f"reference {self.source} item #{self.matched_item}"
        )
        return f"{self.kind} of {target} (similarity {self.similarity:.2f}, {self.verdict})"


KIND_LABELS = {"repost": "Tin lặp lại", "denial": "Bác bỏ"}


def link_view(match: ClaimMatch) -> LinkView:
    earlier = match.matched_alert
    item = match.matched_item
    verdict = earlier.status if earlier is not None else match.verdict
    if match.reference:
        clarification, link = _reference_clarification(match), item.url
    else:
        clarification = earlier.clarification if earlier else None
        link = earlier.clarification_link if earlier else None
    return LinkView(
        kind=match.kind,
        kind_vi=KIND_LABELS.get(match.kind, match.kind),
        similarity=match.similarity,
        matched_alert=match.matched_alert_id,
        matched_item=match.matched_item_id,
        reference=match.reference,
        source=item.source.name,
        title=(earlier.published_title if earlier and earlier.published_title else item.title),
        url=item.url,
        verdict=verdict,
        verdict_vi=STATUS_LABELS.get(verdict, verdict),
        clarification=clarification,
        link=link,
        published=bool(earlier and earlier.published_at),
        returning=match.kind == "repost" and verdict in CLARIFIABLE,
    )


def returning_first() -> ColumnElement[bool]:
    """An ORDER BY term: alerts that repeat a false or misleading claim come first."""
    return (
        select(ClaimMatch.id)
        .where(
            ClaimMatch.item_id == Alert.item_id,
            ClaimMatch.kind == "repost",
            ClaimMatch.verdict.in_(CLARIFIABLE),
        )
        .exists()
        .desc()
    )


def link_views(session: Session, item_ids: list[int]) -> dict[int, LinkView]:
    """Item id -> its link, for the items that have one."""
    return {item_id: link_view(m) for item_id, m in matches_for(session, item_ids).items()}
