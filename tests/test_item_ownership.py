"""Items belong to the source that stored them: another source listing the same canonical
URL (tracking parameters and all) never rewrites their title, text or trust."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from monitor.analysis import analyze
from monitor.config import Config, Source, load_config
from monitor.fixture_server import FixtureServer
from monitor.pipeline import collect
from storage.db import Database
from storage.models import Analysis, Item
from storage.models import Source as SourceRow
from tests.helpers import ROOT

OFFICIAL_TEXT = (
    "Ủy ban nhân dân xã Bờ Y thông báo lịch tiếp công dân tháng 9 tại trụ sở xã. "
    "Người dân có thể phản ánh trực tiếp hoặc qua đường dây nóng của xã."
)
SOCIAL_TEXT = (
    "KHẨN: tin đồn lừa đảo, chuyển khoản ngay để nhận hỗ trợ ở xã Bờ Y, huyện Ngọc Hồi! "
    "Chia sẻ gấp trước khi bị xóa."
)


def rss(base: str, link: str, title: str, text: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title><link>{base}/</link><description>d</description>
<item><title>{title}</title><link>{link}</link><guid>{link}</guid>
<description>{text}</description><pubDate>Thu, 04 Sep 2025 08:00:00 +0700</pubDate></item>
</channel></rss>"""


def config_for(db_url: str, sources: list[Source]) -> Config:
    config = load_config(ROOT / "config.yaml")
    crawler = config.crawler.model_copy(update={"download_timeout": 5, "retries": 0})
    return config.model_copy(
        update={"sources": sources, "database_url": db_url, "crawler": crawler}
    )


def test_another_source_never_rewrites_an_item(db: Database, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    with FixtureServer(site) as server:
        base = server.base_url
        article = f"{base}/thong-bao/lich-tiep-cong-dan-9.html"
        (site / "official.rss").write_text(
            rss(base, article, "Lịch tiếp công dân tháng 9 ở xã Bờ Y", OFFICIAL_TEXT), "utf-8"
        )
        (site / "social.rss").write_text(
            rss(
                base,
                f"{article}?utm_source=facebook&amp;utm_medium=social",
                "Chia sẻ gấp: lừa đảo ở huyện Ngọc Hồi",
                SOCIAL_TEXT,
            ),
            "utf-8",
        )
        official = Source(
            name="ubnd-bo-y",
            kind="feed",
            url=f"{base}/official.rss",
            trust="official",
            follow_links=False,
        )
        social = Source(
            name="trang-cong-dong",
            kind="feed",
            url=f"{base}/social.rss",
            trust="social",
            follow_links=False,
        )
        first = collect(db, config_for(db.url, [official]))
        assert first.per_source["ubnd-bo-y"]["new"] == 1
        analyze(db, config_for(db.url, [official, social]))
        with db.session() as session:
            before = session.scalar(select(Analysis.score))

        second = collect(db, config_for(db.url, [official, social]))
        assert second.per_source["trang-cong-dong"]["errors"] == 0
        analyze(db, config_for(db.url, [official, social]))

    with db.session() as session:
        (item,) = session.scalars(select(Item)).all()
        owner = session.get_one(SourceRow, item.source_id)
        assert owner.name == "ubnd-bo-y"
        assert item.title == "Lịch tiếp công dân tháng 9 ở xã Bờ Y"
        assert item.text == OFFICIAL_TEXT and item.url == article
        assert session.scalar(select(Analysis.score)) == before
