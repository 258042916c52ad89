"""Small builders of stored rows for tests that start after collection."""

from __future__ import annotations

from datetime import datetime

from alerts.queue import create_alerts
from storage.analyses import save_analysis
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Item
from storage.sources import SourceSpec, sync_sources


def flagged_item(
    db: Database,
    n: int = 1,
    title: str = "Tin đồn ở huyện Ngọc Hồi",
    text: str = "Người dân xôn xao vì tin đồn lừa đảo ở huyện Ngọc Hồi.",
    url: str | None = None,
    score: float = 5.0,
    unit: str = "Huyện Ngọc Hồi, Tỉnh Kon Tum",
    published_at: datetime | None = datetime(2025, 7, 1, 2, 30),
    explanation: dict | None = None,
    locality_keys: list[str] | None = None,
) -> int:
    """Store a source, an item, a flagged analysis and its alert; return the alert id.
    ``locality_keys``: the watched localities its mention belongs to (none: recorded as
    before there were several, which means the single one)."""
    with db.session() as session:
        source_id = sync_sources(
            session, [SourceSpec("bao-test", "feed", "http://127.0.0.1/t.rss")]
        )["bao-test"]
    url = url or f"http://127.0.0.1/bai/{n}.html"
    with db.session() as session:
        upsert_item(
            session,
            ItemData(source_id, url, url, title, text, published_at=published_at),
        )
    with db.session() as session:
        item = session.query(Item).filter_by(canonical_url=url).one()
        start = text.index("tin đồn")
        save_analysis(
            session,
            item.id,
            "v1",
            item.content_hash,
            {
                "localities": [
                    {
                        "unit": unit,
                        "surface": "huyện Ngọc Hồi",
                        "start": text.index("huyện"),
                        "end": text.index("huyện") + 14,
                        "field": "text",
                        **({"locality_keys": locality_keys} if locality_keys else {}),
                    }
                ],
                "matches": [
                    {
                        "rule": "rumour:tin đồn",
                        "category": "rumour",
                        "surface": "tin đồn",
                        "start": start,
                        "end": start + 7,
                        "weight": 2.0,
                        "field": "text",
                    }
                ],
                "score": score,
                "flagged": True,
                **({"explanation": explanation} if explanation is not None else {}),
            },
            item.source.trust,
        )
    with db.session() as session:
        (alert_id,) = create_alerts(session)
    return alert_id
