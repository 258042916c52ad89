"""Press notes, the last press bulletins and reports, and their downloads (analysts only).

Bulletins and reports are read from the database by id (storage.documents), so a download
can never name a file the server did not write.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from alerts.press_notes import NoteError, add_note, withdraw_note
from storage.documents import latest_bulletins, latest_reports
from storage.models import PressBulletin, PressNote, Report
from web.auth import login_required
from web.context import db

bp = Blueprint("press", __name__)
MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@bp.get("/press")
@login_required
def index() -> str:
    with db().session() as s:
        bulletins = [
            (b, [(d.newsroom, d.email, d.state) for d in b.deliveries]) for b in latest_bulletins(s)
        ]
        notes = s.scalars(select(PressNote).order_by(PressNote.id.desc()).limit(20)).all()
        return render_template(
            "press.html", bulletins=bulletins, reports=latest_reports(s), notes=notes
        )


@bp.post("/press/notes")
@login_required
def new_note() -> Any:
    form = request.form
    alert_id = form.get("alert_id", type=int)
    try:
        with db().session() as s:
            add_note(s, form.get("text", ""), form.get("link"), g.user.username, alert_id)
        flash("Đã lưu thông tin cho báo chí; thông tin sẽ có trong bản tin gửi báo chí kỳ tới.")
    except NoteError as exc:
        flash("Không lưu được: " + str(exc))
    if alert_id is not None:
        return redirect(url_for("alerts.show", alert_id=alert_id), code=303)
    return redirect(url_for("press.index"), code=303)


@bp.post("/press/notes/<int:note_id>/withdraw")
@login_required
def withdraw(note_id: int) -> Any:
    with db().session() as s:
        done = withdraw_note(s, note_id)
    flash("Đã rút thông tin khỏi bản tin kỳ tới." if done else "Thông tin này đã được rút.")
    return redirect(url_for("press.index"), code=303)


@bp.get("/press/bulletins/<int:bulletin_id>.html")
@login_required
def bulletin(bulletin_id: int) -> Response:
    with db().session() as s:
        b = s.get(PressBulletin, bulletin_id)
        if b is None:
            abort(404)
        body = b.html
    return _download(
        body.encode(), "text/html; charset=utf-8", f"ban-tin-bao-chi-{bulletin_id}.html"
    )


@bp.get("/reports/<int:report_id>")
@login_required
def report(report_id: int) -> Response:
    with db().session() as s:
        r = s.get(Report, report_id)
        if r is None or r.content is None:
            abort(404)
        content, fmt, name = r.content, r.format, r.filename
    return _download(content, MEDIA.get(fmt, "application/octet-stream"), name)


def _download(content: bytes, media: str, filename: str) -> Response:
    response = Response(content, mimetype=media)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
