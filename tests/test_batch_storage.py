"""Batched item writes (SQLite and PostgreSQL): a batch behaves as its entries stored one
after the other, and a row the database refuses costs only itself."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from crawler import pipelines
from crawler.items import Article
from crawler.pipelines import StoragePipeline
from storage.db import Database
from storage.items import EntryError, FullText, ItemData, complete_texts, upsert_items
from storage.models import Item, RunSourceStat
from storage.sources import SourceSpec, sync_sources

BASE = "http://127.0.0.1/bai"


def _sources(db: Database) -> dict[str, int]:
    with db.session() as session:
        return sync_sources(
            session,
            [
                SourceSpec("bao-a", "feed", "http://127.0.0.1/a.rss"),
                SourceSpec("bao-b", "feed", "http://127.0.0.1/b.rss"),
            ],
        )


def _entry(source_id: int, n: int, text: str, needs_fulltext: bool = False) -> ItemData:
    url = f"{BASE}/{n}.html"
    return ItemData(
        source_id, url + "?utm_source=rss", url, f"Tin {n} ở Bờ Y", text, None, None, needs_fulltext
    )


def _stored(db: Database) -> dict[str, Item]:
    with db.session() as session:
        items = {i.canonical_url.rsplit("/", 1)[1]: i for i in session.scalars(select(Item))}
        session.expunge_all()
    return items


def test_a_batch_is_its_entries_one_after_the_other(db: Database) -> None:
    ids = _sources(db)
    a, b = ids["bao-a"], ids["bao-b"]
    with db.session() as session:
        first = upsert_items(session, [_entry(a, 1, "Bản đầu."), _entry(a, 2, "Hai.")])
    assert first == ["new", "new"]
    with db.session() as session:
        outcomes = upsert_items(
            session,
            [
                _entry(a, 1, "Bản đầu."),  # the same again
                _entry(a, 2, "Hai, đã sửa."),  # changed by its owner
                _entry(b, 2, "Chú thích của trang khác."),  # another source's listing
                _entry(a, 3, "Ba."),  # new
                _entry(a, 3, "Ba, sửa ngay trong cùng lô."),  # new, then changed in the batch
            ],
        )
    assert outcomes == ["unchanged", "updated", "unchanged", "new", "updated"]
    items = _stored(db)
    assert sorted(items) == ["1.html", "2.html", "3.html"]
    assert items["2.html"].text == "Hai, đã sửa." and items["2.html"].source_id == a
    assert items["3.html"].text == "Ba, sửa ngay trong cùng lô."
    assert items["3.html"].url == f"{BASE}/3.html?utm_source=rss"
    assert items["1.html"].fetched_at is not None and items["1.html"].updated_at is not None


def test_a_changed_summary_keeps_the_full_text_until_the_page_is_fetched(db: Database) -> None:
    a = _sources(db)["bao-a"]
    full = "Toàn văn bài báo về xã Bờ Y. " * 20
    with db.session() as session:
        upsert_items(session, [_entry(a, 1, "Tóm tắt.", needs_fulltext=True)])
        assert complete_texts(
            session, [FullText(f"{BASE}/1.html", full, "Phóng viên", None, a)]
        ) == ["updated"]
    with db.session() as session:
        assert upsert_items(session, [_entry(a, 1, "Tóm tắt mới.", needs_fulltext=True)]) == [
            "updated"
        ]
    item = _stored(db)["1.html"]
    assert item.text == full and item.needs_fulltext and item.author == "Phóng viên"


def test_one_row_the_database_refuses_loses_nothing_else(db: Database) -> None:
    a = _sources(db)["bao-a"]
    missing_source = a + 1000  # a foreign key the database refuses
    batch = [_entry(a, 1, "Một."), _entry(missing_source, 2, "Hai."), _entry(a, 3, "Ba.")]
    with db.session() as session:
        outcomes = upsert_items(session, batch)
    assert outcomes[0] == "new" and outcomes[2] == "new"
    assert isinstance(outcomes[1], EntryError) and outcomes[1].url == batch[1].url
    assert "IntegrityError" in outcomes[1].reason
    assert sorted(_stored(db)) == ["1.html", "3.html"]


def test_full_texts_in_a_batch_and_one_refused(db: Database) -> None:
    ids = _sources(db)
    a, b = ids["bao-a"], ids["bao-b"]
    with db.session() as session:
        upsert_items(
            session, [_entry(a, n, f"Tóm tắt {n}.", needs_fulltext=True) for n in range(5)]
        )
    long = "Toàn văn dài hơn bản tóm tắt rất nhiều, kể chuyện ở xã Dục Nông. " * 5
    with db.session() as session:
        outcomes = complete_texts(
            session,
            [
                FullText(f"{BASE}/0.html", long, "Tác giả", None, a),
                FullText(f"{BASE}/1.html", "Ngắn.", None, None, a),  # shorter: kept, done
                FullText(f"{BASE}/2.html", long, None, None, b),  # not its source
                FullText(f"{BASE}/3.html", long + " \ud83d", None, None, a),  # no database keeps
                FullText(f"{BASE}/4.html", long + " Bốn.", None, None, a),
                FullText(f"{BASE}/9.html", long, None, None, a),  # not stored at all
            ],
        )
    assert outcomes[:3] == ["updated", "unchanged", "unchanged"]
    assert isinstance(outcomes[3], EntryError) and outcomes[3].url == f"{BASE}/3.html"
    assert outcomes[4:] == ["updated", "unchanged"]
    items = _stored(db)
    assert items["0.html"].text == long
    assert items["0.html"].author == "Tác giả" and not items["0.html"].needs_fulltext
    assert items["1.html"].text == "Tóm tắt 1." and not items["1.html"].needs_fulltext
    assert items["1.html"].updated_at == items["1.html"].fetched_at  # only the flag changed
    assert items["2.html"].text == "Tóm tắt 2." and items["2.html"].needs_fulltext
    assert items["3.html"].text == "Tóm tắt 3." and items["3.html"].needs_fulltext
    assert items["4.html"].text.endswith("Bốn.")
    assert "9.html" not in items


def test_the_pipeline_counts_a_refused_article_against_its_source_only(db: Database) -> None:
    a = _sources(db)["bao-a"]
    with db.session() as session:
        upsert_items(
            session, [_entry(a, n, f"Tóm tắt {n}.", needs_fulltext=True) for n in range(3)]
        )
    pipeline = StoragePipeline(db.url, None)
    pipeline.open_spider()
    body = "Toàn văn bài báo về thị trấn Plei Kần, dài hơn bản tóm tắt. " * 4
    for n, text in enumerate([body, body + "\ud83d", body]):
        pipeline.process_item(
            Article(a, f"{BASE}/{n}.html", f"Tin {n}", text, completes_entry=True)
        )
    pipeline.close_spider()
    items = _stored(db)
    assert [items[f"{n}.html"].needs_fulltext for n in range(3)] == [False, True, False]
    assert items["0.html"].text.startswith("Toàn văn") and items["2.html"].text.startswith("Toàn")
    with db.session() as session:
        (stat,) = session.scalars(select(RunSourceStat)).all()
    assert stat.updated_items == 2 and stat.article_errors == 1
    assert any(f"{BASE}/1.html" in reason for reason in stat.error_reasons)


def test_an_article_refused_for_a_passing_reason_waits_for_the_next_flush(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deadlock with a worker's transaction is not the article's fault: it stays buffered
    (and a cluster crawler keeps its leases) until a flush stores it."""
    a = _sources(db)["bao-a"]
    with db.session() as session:
        upsert_items(
            session, [_entry(a, n, f"Tóm tắt {n}.", needs_fulltext=True) for n in range(2)]
        )
    real = pipelines._store_articles
    calls: list[int] = []

    def deadlocked_once(session: Any, articles: list[Article]) -> list[Any]:
        calls.append(len(articles))
        if len(calls) > 1:
            return real(session, articles)
        refused = EntryError(articles[1].url, "not stored: deadlock detected", transient=True)
        return [*real(session, articles[:1]), refused]

    monkeypatch.setattr(pipelines, "_store_articles", deadlocked_once)
    pipeline = StoragePipeline(db.url, None)
    pipeline.open_spider()
    body = "Toàn văn bài báo về thị trấn Plei Kần, dài hơn bản tóm tắt. " * 4
    for n in range(2):
        pipeline.process_item(
            Article(a, f"{BASE}/{n}.html", f"Tin {n}", body, completes_entry=True)
        )
    assert pipeline.flush() is False
    assert [_stored(db)[f"{n}.html"].needs_fulltext for n in range(2)] == [False, True]
    assert pipeline.flush() is True
    assert calls == [2, 1]
    pipeline.close_spider()
    assert not any(item.needs_fulltext for item in _stored(db).values())
    with db.session() as session:
        (stat,) = session.scalars(select(RunSourceStat)).all()
    assert stat.updated_items == 2 and stat.article_errors == 0
