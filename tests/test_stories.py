"""Story grouping: republished copies are one story; shared boilerplate does not merge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from alerts.stories import group_items, spread
from nlp.normalize import fold
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Item
from storage.sources import SourceSpec, sync_sources

ARTICLE = (
    "Chiều 3/9, Ban Quản lý cửa khẩu quốc tế Bờ Y khẳng định thông tin lan truyền trên mạng "
    "xã hội về việc tạm đóng cửa khẩu trong một tháng là thông tin sai sự thật. Hoạt động xuất "
    "nhập cảnh và thông quan hàng hóa qua cửa khẩu vẫn diễn ra bình thường; mỗi ngày có khoảng "
    "300 lượt phương tiện qua lại giữa Việt Nam và Lào. Cơ quan chức năng đang xác minh tài "
    "khoản đăng tải thông tin để xử lý theo quy định. Doanh nghiệp xuất nhập khẩu được khuyến "
    "cáo theo dõi thông báo chính thức của Ban Quản lý khu kinh tế tỉnh."
)
EDITS = [
    lambda t: t,
    lambda t: "(Báo B) " + t.replace("Chiều 3/9", "Chiều ngày 3/9").replace("300", "gần 300"),
    lambda t: t.replace("theo quy định", "nghiêm theo quy định của pháp luật") + " Ảnh: TTXVN.",
]
BOILERPLATE = (
    "Mời bạn đọc theo dõi các tin tức mới nhất trên trang của chúng tôi, đăng ký nhận bản tin "
    "qua thư điện tử và tải ứng dụng di động để không bỏ lỡ thông tin quan trọng mỗi ngày. "
)
OTHER_STORIES = [
    "Người dân xã Dục Nông phấn khởi vì giá cà phê tăng mạnh trong vụ thu hoạch năm nay, nhiều "
    "hộ đã trả xong nợ ngân hàng và đầu tư thêm máy móc, hệ thống tưới tiết kiệm nước cho vườn. "
    "Hợp tác xã nông nghiệp của xã cũng ký hợp đồng bao tiêu sản phẩm với doanh nghiệp.",
    "Trường Tiểu học ở thị trấn Plei Kần tổ chức lễ khai giảng năm học mới với hơn 600 học "
    "sinh; nhà trường được đầu tư thêm phòng học, thư viện và sân chơi cho các em học sinh dân "
    "tộc thiểu số. Lãnh đạo huyện đã tặng quà cho học sinh có hoàn cảnh khó khăn.",
]


def store(db: Database, texts: list[tuple[str, str]]) -> list[int]:
    with db.session() as session:
        ids = sync_sources(
            session, [SourceSpec(s, "feed", f"http://127.0.0.1/{s}") for s in {s for s, _ in texts}]
        )
    item_ids = []
    with db.session() as session:
        for n, (source, text) in enumerate(texts):
            url = f"http://127.0.0.1/{source}/{n}.html"
            upsert_item(
                session,
                ItemData(
                    ids[source], url, url, f"Bài {n}", text, published_at=datetime(2025, 9, 3)
                ),
            )
        session.flush()
        item_ids = list(session.scalars(select(Item.id).order_by(Item.id)))
    return item_ids


def stories_of(db: Database) -> list[int | None]:
    with db.session() as session:
        return list(session.scalars(select(Item.story_id).order_by(Item.id)))


def test_republished_article_is_one_story(db: Database) -> None:
    store(db, [(f"bao-{n}", edit(ARTICLE)) for n, edit in enumerate(EDITS)])
    with db.session() as session:
        assert group_items(session, fold) == 3
    (first, *rest) = stories_of(db)
    assert first is not None and rest == [first, first]
    with db.session() as session:
        (info,) = spread(session, [first]).values()
    assert info.items == 3 and info.last_24h == 3
    assert sorted(name for name, _ in info.per_source) == ["bao-0", "bao-1", "bao-2"]


def test_shared_boilerplate_does_not_merge_and_grouping_is_incremental(db: Database) -> None:
    store(
        db, [("bao-a", BOILERPLATE + OTHER_STORIES[0]), ("bao-a", BOILERPLATE + OTHER_STORIES[1])]
    )
    with db.session() as session:
        group_items(session, fold)
    a, b = stories_of(db)
    assert a != b

    # a later copy joins the existing story; nothing already grouped is touched again
    store(db, [("bao-b", BOILERPLATE + OTHER_STORIES[1].replace("hơn 600", "khoảng 620"))])

    with db.session() as session:
        assert group_items(session, fold) == 1
    assert stories_of(db) == [a, b, b]
