"""One alert: the item with its matches highlighted, the score explained, the story, the
verdict form (only the transitions the workflow allows), claim and release, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from alerts.explain import MISSING, explain
from alerts.labels import transition_message
from alerts.queue import (
    TRANSITIONS,
    TransitionError,
    Verdict,
    change_status,
    claim,
    release,
    set_published,
)
from alerts.recurring import link_views
from alerts.stories import spread
from alerts.views import can_see, display_names, segments
from storage.localities import alert_locality_keys
from storage.models import Alert
from web.auth import login_required
from web.context import allowed_localities, db

bp = Blueprint("alerts", __name__)
# Ids are 64-bit in the database: a longer number is no alert (404), not a database error.
ALERT = "/alerts/<int(max=9223372036854775807):alert_id>"


@bp.get(ALERT)
@login_required
def show(alert_id: int) -> str:
    return render_template("alert.html", **_alert_context(alert_id))


@bp.post(ALERT + "/verdict")
@login_required
def verdict(alert_id: int) -> Any:
    form = request.form
    try:
        with db().session() as s:
            current = _visible(s, alert_id)
            if form.get("status") and form["status"] != current.status:
                change_status(
                    s,
                    alert_id,
                    Verdict(
                        form["status"],
                        g.user.username,
                        form.get("note") or None,
                        form.get("clarification") or None,
                        form.get("link") or None,
                    ),
                )
            set_published(s, alert_id, form.get("publish") == "1", g.user.username)
        flash("Đã lưu.")
    except TransitionError as exc:
        flash("Không lưu được: " + transition_message(exc.code, exc.params))
    return redirect(url_for("alerts.show", alert_id=alert_id), code=303)


@bp.post(ALERT + "/claim")
@login_required
def take(alert_id: int) -> Any:
    return _act(alert_id, lambda s: claim(s, alert_id, g.user.username), "Bạn đã nhận xác minh.")


@bp.post(ALERT + "/release")
@login_required
def give_back(alert_id: int) -> Any:
    done = "Đã trả cảnh báo về hàng đợi."
    return _act(alert_id, lambda s: release(s, alert_id, g.user.username), done)


def _act(alert_id: int, action: Callable[[Session], object], done: str) -> Any:
    try:
        with db().session() as s:
            _visible(s, alert_id)
            action(s)
        flash(done)
    except TransitionError as exc:
        flash("Không thực hiện được: " + transition_message(exc.code, exc.params))
    return redirect(url_for("alerts.show", alert_id=alert_id), code=303)


def _visible(session: Session, alert_id: int) -> Alert:
    """The alert, if the account may see it; 404 otherwise, the same answer as for an alert
    that does not exist, so ids of other localities' alerts tell nothing."""
    alert = session.get(Alert, alert_id)
    if alert is None or not can_see(session, alert_id, allowed_localities()):
        abort(404)
    return alert


def _alert_context(alert_id: int) -> dict[str, Any]:
    with db().session() as s:
        alert = _visible(s, alert_id)
        item = alert.item
        analysis = item.analysis
        found = [
            (m["start"], m["end"], "match", m.get("field"))
            for m in (analysis.matches if analysis else [])
        ]
        found += [
            (p["start"], p["end"], "place", p.get("field"))
            for p in (analysis.localities if analysis else [])
        ]
        story = spread(s, [item.story_id])[item.story_id] if item.story_id else None
        return {
            "alert": alert,
            "item": item,
            "source": item.source.name,
            "story": story,
            "matches": analysis.matches if analysis else [],
            "explanation": explain(getattr(analysis, "explanation", None)),
            "learned": _learned(analysis),
            "missing_explanation": MISSING,
            "allowed": TRANSITIONS.get(alert.status, ()),
            "units": sorted({p["unit"] for p in (analysis.localities if analysis else [])}),
            "locality_keys": alert_locality_keys(s, [alert.id])[alert.id],
            "title_parts": segments(
                item.title, [(a, b, k) for a, b, k, f in found if f == "title"]
            ),
            "text_parts": segments(item.text, [(a, b, k) for a, b, k, f in found if f == "text"]),
            "events": list(alert.events),
            "link": link_views(s, [item.id]).get(item.id),
            "names": display_names(s),
        }


def _learned(analysis: Any) -> dict[str, Any] | None:
    """The learned model's opinion on the item, when one was given."""
    if analysis is None or analysis.learned_probability is None:
        return None
    stored = (analysis.explanation or {}).get("learned") or {}
    return {
        "probability": analysis.learned_probability,
        "version": analysis.learned_version,
        "flagged": bool(stored.get("flagged")),
    }
