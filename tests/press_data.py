"""A month of an office's work, stored as the pipeline and the analysts would leave it:
sources of several kinds, items over July 2025, alerts with categories and verdicts made by
a named analyst, stories spread over sources, published clarifications, a press note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database
from storage.models import (
    Alert,
    AlertEvent,
    Item,
    PressNote,
    Source,
    Story,
    User,
)

ANALYST = ("nguyenvana", "Nguyễn Văn An")
SOURCES = [
    ("baoquangngai", "feed", "press"),
    ("ptth-quangngai", "site", "press"),
    ("tg-tin-nong", "telegram", "social"),
    ("fb-cong-dong", "facebook_page", "social"),
]
# (source, day of July 2025, hour UTC, title, alert: (categories, status, hours to verdict),
#  story key)
PLAN: list[tuple[str, int, int, str, tuple[list[str], str, float | None] | None, str | None]] = [
    ("baoquangngai", 1, 1, "Họp báo về phòng chống thiên tai", None, None),
    ("baoquangngai", 2, 2, "Giá cà phê tăng ở xã Bờ Y", None, None),
    (
        "tg-tin-nong",
        2,
        9,
        "Tin đồn vỡ đập thủy điện ở Sa Loong",
        (["disaster", "rumour"], "verified_false", 3.0),
        "dap",
    ),
    (
        "fb-cong-dong",
        2,
        11,
        "Chia sẻ gấp: vỡ đập thủy điện Sa Loong",
        (["disaster", "rumour"], "verified_false", 5.0),
        "dap",
    ),
    ("baoquangngai", 3, 3, "Bác bỏ tin vỡ đập ở Sa Loong", None, "dap"),
    (
        "fb-cong-dong",
        4,
        8,
        "Giả danh công an gọi điện đòi chuyển tiền ở Dục Nông",
        (["impersonation", "scam"], "verified_true", 20.0),
        "ca",
    ),
    (
        "tg-tin-nong",
        4,
        12,
        "Cảnh báo giả danh công an lừa chuyển tiền",
        (["impersonation", "scam"], "in_review", None),
        "ca",
    ),
    ("ptth-quangngai", 5, 2, "Khánh thành cầu mới ở Bờ Y", None, None),
    (
        "fb-cong-dong",
        6,
        7,
        "Thuốc lá cây chữa khỏi sốt xuất huyết",
        (["health"], "misleading", 30.0),
        None,
    ),
    (
        "tg-tin-nong",
        7,
        10,
        "Bắt cóc trẻ em ở chợ Plei Kần",
        (["kidnapping", "rumour"], "dismissed", 2.0),
        None,
    ),
    ("fb-cong-dong", 8, 6, "Việc nhẹ lương cao cho người Bờ Y", (["scam"], "new", None), None),
    ("ptth-quangngai", 9, 4, "Tiêm phòng sởi miễn phí tại Dục Nông", None, None),
    (
        "baoquangngai",
        10,
        1,
        "Tin đồn lừa đảo đất đai ở Sa Loong",
        (["scam", "rumour"], "verified_false", 48.0),
        None,
    ),
]
PUBLISHED = {  # alert of the plan row -> (day published, clarification)
    2: (3, "Đập thủy điện Sa Loong vận hành an toàn; không có sự cố vỡ đập."),
    12: (11, "Không có dự án thu hồi đất nào ở Sa Loong; người dân không chuyển tiền."),
}
# The clarification of row 3 is published on 3 July too (same story), row 8 is not published.


@dataclass
class Month:
    alert_ids: dict[int, int]  # plan row -> alert id
    note_id: int


def july(day: int, hour: float = 0) -> datetime:
    return datetime(2025, 7, day) + timedelta(hours=hour)


def store_month(db: Database) -> Month:
    with db.session() as s:
        s.add(User(username=ANALYST[0], display_name=ANALYST[1], password_hash="x"))
        sources = {}
        for name, kind, trust in SOURCES:
            source = Source(name=name, kind=kind, url=f"http://127.0.0.1/{name}", trust=trust)
            s.add(source)
            sources[name] = source
        stories: dict[str, Story] = {}
        for key in {row[5] for row in PLAN if row[5]}:
            stories[key] = Story(first_seen_at=july(1), last_seen_at=july(1), item_count=0)
            s.add(stories[key])
        s.flush()
        alert_ids = {}
        for n, (source, day, hour, title, alert, story) in enumerate(PLAN):
            when = july(day, hour)
            item = Item(
                source_id=sources[source].id,
                canonical_url=f"http://127.0.0.1/{source}/{n}",
                url=f"http://127.0.0.1/{source}/{n}",
                content_hash=f"h{n}",
                title=title,
                text=f"{title}. Nội dung chi tiết của tin số {n}.",
                published_at=when,
                fetched_at=when,
                story_id=stories[story].id if story else None,
            )
            s.add(item)
            if story:
                stories[story].item_count += 1
            s.flush()
            if alert is None:
                continue
            categories, status, hours = alert
            row = Alert(
                item_id=item.id,
                status=status,
                score=5.0,
                categories=categories,
                created_at=when,
                updated_at=when,
                assignee=ANALYST[0] if status != "new" else None,
                note=f"{ANALYST[1]} đã gọi điện xác minh" if status != "new" else None,
            )
            if status in ("verified_false", "misleading"):
                row.clarification = f"Đính chính tin số {n}."
                row.clarification_link = f"https://quangngai.gov.vn/dinh-chinh/{n}"
            s.add(row)
            s.flush()
            alert_ids[n] = row.id
            s.add(AlertEvent(alert_id=row.id, actor="system", to_status="new", created_at=when))
            if status != "new":
                s.add(
                    AlertEvent(
                        alert_id=row.id,
                        actor=ANALYST[0],
                        from_status="new",
                        to_status="in_review",
                        created_at=when + timedelta(minutes=10),
                    )
                )
            if hours is not None:
                s.add(
                    AlertEvent(
                        alert_id=row.id,
                        actor=ANALYST[0],
                        from_status="in_review",
                        to_status=status,
                        note=f"{ANALYST[1]} kết luận",
                        created_at=when + timedelta(hours=hours),
                    )
                )
            if n in PUBLISHED:
                day_published, text = PUBLISHED[n]
                row.clarification = text
                row.published_at = july(day_published, 2)
                row.published_title, row.published_text = item.title, item.text
                row.published_url = item.url
        note = PressNote(
            text="Thông báo lịch cắt điện ngày 15/7 tại xã Bờ Y.",
            created_by=ANALYST[0],
            created_at=july(9, 3),
        )
        s.add(note)
        s.flush()
        return Month(alert_ids, note.id)
