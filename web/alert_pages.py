"""One alert: the item with its matches highlighted, the story, the verdict form, history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from alerts.queue import TransitionError, Verdict, change_status, set_published
from alerts.stories import spread
from alerts.views import segments
from storage.models import Alert
from web.auth import login_required
from web.context import db

bp = Blueprint("alerts", __name__)


@bp.get("/alerts/<int:alert_id>")
@login_required
def show(alert_id: int) -> str:
    return render_template("alert.html", **_alert_context(alert_id))


@bp.post("/alerts/<int:alert_id>/verdict")
@login_required
def verdict(alert_id: int) -> Any:
    form = request.form
    try:
        with db().session() as s:
            current = s.get(Alert, alert_id)
            if current is None:
                abort(404)
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
        flash(f"Không lưu được: {exc}")
    return redirect(url_for("alerts.show", alert_id=alert_id), code=303)


def _alert_context(alert_id: int) -> dict[str, Any]:
    with db().session() as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            abort(404)
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
            "units": sorted({p["unit"] for p in (analysis.localities if analysis else [])}),
            "title_parts": segments(
                item.title, [(a, b, k) for a, b, k, f in found if f == "title"]
            ),
            "text_parts": segments(item.text, [(a, b, k) for a, b, k, f in found if f == "text"]),
            "events": list(alert.events),
        }
