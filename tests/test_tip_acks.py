"""Acknowledgements of tips over SMTP (a real aiosmtpd server): a refusal is logged and
retried a bounded number of times; a lost reply after the content is never resent."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from monitor.config import Config, Smtp, load_config
from monitor.intake import MAX_ACK_ATTEMPTS, TIPLINE, acknowledge_new_tips
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Item
from storage.sources import ensure_source
from tests.helpers import ROOT
from tests.smtp_server import SmtpServer, free_port


def store_tip(db: Database, reply_to: str) -> int:
    with db.session() as session:
        source_id = ensure_source(session, TIPLINE, TIPLINE, "imap://127.0.0.1/INBOX")
        upsert_item(
            session,
            ItemData(
                source_id,
                "tipline:abc@example.invalid",
                "tipline:abc@example.invalid",
                "Tin đồn lừa đảo ở Plei Kần",
                "Có người gọi điện giả danh công an xã.",
                reply_to=reply_to,
            ),
        )
        return session.scalar(select(Item.id))


def smtp_config(port: int, timeout: float = 5) -> Config:
    config = load_config(ROOT / "config.yaml")
    smtp = Smtp(
        host="127.0.0.1",
        port=port,
        tls="none",
        sender="tiepnhan@example.invalid",
        timeout_seconds=timeout,
    )
    return config.model_copy(update={"smtp": smtp})


def test_refused_acknowledgement_is_logged_retried_then_given_up(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    item_id = store_tip(db, "refuse.nguoidan@example.invalid")
    port = free_port()
    caplog.set_level(logging.INFO, logger="press_monitor")
    with SmtpServer(port):
        sent = [acknowledge_new_tips(db, smtp_config(port)) for _ in range(MAX_ACK_ATTEMPTS + 2)]
    assert sent == [0] * (MAX_ACK_ATTEMPTS + 2)
    failures = [r for r in caplog.records if "acknowledgement of tip" in r.getMessage()]
    assert len(failures) == MAX_ACK_ATTEMPTS  # then no more attempts
    assert all("550" in r.getMessage() for r in failures)
    assert "giving up" in failures[-1].getMessage()
    assert all("giving up" not in r.getMessage() for r in failures[:-1])
    with db.session() as session:
        item = session.get_one(Item, item_id)
        assert item.acknowledged_at is None and item.ack_attempts == MAX_ACK_ATTEMPTS
        assert item.ack_error is not None and "550" in item.ack_error


def test_lost_reply_after_the_content_is_not_resent(db: Database) -> None:
    item_id = store_tip(db, "nguoidan@example.invalid")
    port = free_port()
    with SmtpServer(port) as server:
        server.faults.stall_after_data = 2
        first = acknowledge_new_tips(db, smtp_config(port, timeout=0.5))
        server.faults.stall_after_data = 0
        second = acknowledge_new_tips(db, smtp_config(port))
    assert (first, second) == (0, 0)
    assert server.received.data_commands == 1
    with db.session() as session:
        item = session.get_one(Item, item_id)
        assert item.acknowledged_at is not None
        assert item.ack_error is not None and "uncertain" in item.ack_error
