"""Storage round trips on SQLite and PostgreSQL, and the automatic migration."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import NoResultFound

from alerts.queue import create_alerts
from storage.analyses import pending_items, save_analysis
from storage.db import Database, schema_is_current
from storage.items import ItemData, upsert_item
from storage.models import Alert, AlertEvent, Digest, Item, Source
from storage.sources import SourceSpec, record_failure, record_success, sync_sources


def _source(db: Database) -> int:
    with db.session() as session:
        ids = sync_sources(session, [SourceSpec("bao-a", "feed", "http://127.0.0.1/a.rss")])
    return ids["bao-a"]


def _item(
    source_id: int, url: str = "http://127.0.0.1/bai/1.html", text: str = "Nội dung"
) -> ItemData:
    return ItemData(
        source_id=source_id,
        url=url + "?utm_source=x",
        canonical_url=url,
        title="Tiêu đề có dấu: Ngọc Hồi",
        text=text,
        author="Tác giả",
        published_at=datetime(2025, 7, 1, 2, 30),
    )


def test_schema_is_created_on_first_use_and_current(db: Database) -> None:
    assert schema_is_current(db.engine)
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {
        "sources",
        "items",
        "analyses",
        "alerts",
        "alert_events",
        "digests",
        "runs",
        "run_source_stats",
        "alembic_version",
    } <= tables
    Database(db.url).dispose()  # a second open is a no-op migration


def test_item_round_trip_and_upsert(db: Database) -> None:
    source_id = _source(db)
    with db.session() as session:
        assert upsert_item(session, _item(source_id)) == "new"
    with db.session() as session:
        assert upsert_item(session, _item(source_id)) == "unchanged"
        assert upsert_item(session, _item(source_id, text="Sửa")) == "updated"
    with db.session() as session:
        (item,) = session.scalars(select(Item)).all()
        assert item.title == "Tiêu đề có dấu: Ngọc Hồi"
        assert item.text == "Sửa"
        assert item.author == "Tác giả"
        assert item.published_at == datetime(2025, 7, 1, 2, 30)
        assert item.source.name == "bao-a"


def test_canonical_url_is_unique(db: Database) -> None:
    source_id = _source(db)
    with pytest.raises(IntegrityError), db.session() as session:
        session.add_all(
            [
                Item(source_id=source_id, url="u1", canonical_url="http://x/1", content_hash="a"),
                Item(source_id=source_id, url="u2", canonical_url="http://x/1", content_hash="b"),
            ]
        )


def test_analysis_and_alert_are_idempotent(db: Database) -> None:
    source_id = _source(db)
    with db.session() as session:
        upsert_item(session, _item(source_id))
    with db.session() as session:
        (batch,) = list(pending_items(session, "v1"))
        result = {
            "localities": [{"unit": "Huyện Ngọc Hồi", "surface": "Ngọc Hồi", "start": 0, "end": 8}],
            "matches": [
                {
                    "rule": "rumour:tin đồn",
                    "category": "rumour",
                    "weight": 2.0,
                    "surface": "tin đồn",
                    "start": 1,
                    "end": 8,
                    "field": "text",
                }
            ],
            "score": 4.0,
            "flagged": True,
        }
        save_analysis(session, batch[0].id, "v1", batch[0].content_hash, result, batch[0].trust)
    with db.session() as session:
        assert list(pending_items(session, "v1")) == []
        assert len(list(pending_items(session, "v2"))) == 1
        assert len(create_alerts(session)) == 1
    with db.session() as session:
        assert create_alerts(session) == []
        (alert,) = session.scalars(select(Alert)).all()
        assert alert.categories == ["rumour"] and alert.status == "new"
        assert [e.to_status for e in session.scalars(select(AlertEvent))] == ["new"]


def test_digest_period_start_is_unique(db: Database) -> None:
    start = datetime(2025, 1, 1)
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(Digest(period_start=start, period_end=datetime(2025, 1, 2)))
        session.add(Digest(period_start=start, period_end=datetime(2025, 1, 3)))
        session.flush()


def test_removed_source_is_disabled_not_deleted(db: Database) -> None:
    _source(db)
    with db.session() as session:
        sync_sources(session, [SourceSpec("bao-b", "feed", "http://127.0.0.1/b.rss")])
    with db.session() as session:
        rows = {s.name: s.enabled for s in session.scalars(select(Source))}
    assert rows == {"bao-a": False, "bao-b": True}


def test_fetch_state_after_a_success_a_304_and_a_failure(db: Database) -> None:
    """A good fetch sets the validators and clears the failure count; a 304 keeps the
    validators it was answered for; a source that is not there is an error, not a no-op."""
    source_id = _source(db)
    with db.session() as session:
        record_failure(session, source_id, "timeout")
        record_failure(session, source_id, "timeout")
    with db.session() as session:
        record_success(session, source_id, 200, '"v1"', "Tue, 01 Jul 2025 02:30:00 GMT")
    with db.session() as session:
        row = session.get_one(Source, source_id)
        assert (row.last_status, row.etag, row.consecutive_failures) == (200, '"v1"', 0)
        assert row.last_modified == "Tue, 01 Jul 2025 02:30:00 GMT"
        assert row.last_success_at is not None and row.last_success_at == row.last_fetched_at
        assert row.last_error == "timeout"  # the last error stays for the record
        first_success = row.last_success_at
    with db.session() as session:
        record_failure(session, source_id, "reset by peer")
    with db.session() as session:
        record_success(session, source_id, 304, None, None)
    with db.session() as session:
        row = session.get_one(Source, source_id)
        assert (row.last_status, row.etag, row.consecutive_failures) == (304, '"v1"', 0)
        assert row.last_modified == "Tue, 01 Jul 2025 02:30:00 GMT"
        assert row.last_success_at > first_success
        assert row.last_fetched_at == row.last_success_at > row.last_error_at
    with pytest.raises(NoResultFound), db.session() as session:
        record_success(session, source_id + 1000, 200, None, None)


def test_sqlite_uses_wal_and_busy_timeout(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_upgrade_keeps_data_from_the_first_schema(db_url: str) -> None:
    """A database created by an older release is upgraded in place, rows kept."""
    from alembic import command

    from storage.db import alembic_config, make_engine

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into sources (name, kind, url, enabled, trust, options, "
                "consecutive_failures) values ('a', 'feed', 'http://x', "
                ":t, 'press', '{}', 0)"
            ),
            {"t": True},
        )
        conn.execute(
            sa.text(
                "insert into items (source_id, canonical_url, url, content_hash, "
                "title, text, fetched_at, updated_at, purged) values "
                "(1, 'http://x/1', 'http://x/1', 'h', 't', 'x', :now, :now, :f)"
            ),
            {"now": datetime(2025, 1, 1), "f": False},
        )
    engine.dispose()

    upgraded = Database(db_url)
    try:
        assert schema_is_current(upgraded.engine)
        with upgraded.session() as session:
            (item,) = session.scalars(select(Item)).all()
            assert item.canonical_url == "http://x/1" and item.needs_fulltext is False
    finally:
        upgraded.dispose()


def test_schema_heads_read_without_alembic_match_alembics_own() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS_DIR, migration_heads

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert migration_heads() == set(ScriptDirectory.from_config(config).get_heads())
