"""Notes for the press: official information the office wants in the next bulletin, on a
verdict (the alert's claim and conclusion go with it) or on its own. Who wrote a note is
kept for the audit trail and never shown to the press."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alerts.queue import VERDICTS
from alerts.render import safe_url
from storage.models import Alert, PressNote, utcnow

MAX_CHARS = 2000


class NoteError(ValueError):
    """A note that cannot be kept; the message is Vietnamese, for the review pages."""


def add_note(
    session: Session, text: str, link: str | None, actor: str, alert_id: int | None = None
) -> PressNote:
    text, link = text.strip(), (link or "").strip() or None
    if not text:
        raise NoteError("Nội dung thông tin cho báo chí không được để trống.")
    if len(text) > MAX_CHARS:
        raise NoteError(f"Nội dung quá dài (tối đa {MAX_CHARS} ký tự).")
    if link is not None and safe_url(link) is None:
        raise NoteError("Liên kết phải bắt đầu bằng http:// hoặc https://.")
    if alert_id is not None:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.status not in VERDICTS:
            raise NoteError("Chỉ gửi báo chí thông tin về cảnh báo đã có kết luận xác minh.")
    note = PressNote(alert_id=alert_id, text=text, link=link, created_by=actor)
    session.add(note)
    session.flush()
    return note


def withdraw_note(session: Session, note_id: int) -> bool:
    """Take a note out of bulletins not yet closed; False if it was not there."""
    note = session.get(PressNote, note_id)
    if note is None or note.withdrawn_at is not None:
        return False
    note.withdrawn_at = utcnow()
    return True
