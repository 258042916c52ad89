"""The tip line and analysts' submissions: items that people bring in.

Both become ordinary items (of the internal sources `tipline` and `submitted`) and go
through the same analysis as collected ones.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from crawler.encoding import charset_from_content_type, decode_body
from crawler.extract import ExtractionError, extract_article
from crawler.guard import FetchGuard, ForbiddenAddress
from crawler.imap_intake import ImapOptions, IntakeError, IntakeResult, read_new
from crawler.text import normalize_text
from crawler.tips import Tip
from crawler.urls import canonical_url
from monitor.analysis import AnalysisReport
from monitor.config import Config
from storage.db import Database
from storage.items import ItemData, upsert_item
from storage.models import Item
from storage.sources import ensure_source, record_failure, record_success

TIPLINE, SUBMITTED = "tipline", "submitted"
MAX_ACK_ATTEMPTS = 3  # a tip whose acknowledgement is refused this often is not answered
log = logging.getLogger("press_monitor.intake")


class SubmitError(RuntimeError):
    """A submitted URL could not be fetched or read."""


def run_intake(db: Database, config: Config) -> IntakeResult:
    settings = config.intake
    if settings is None:
        raise IntakeError("no intake section in config.yaml")
    password = settings.password()
    if not password:
        raise IntakeError(
            f"the variable {settings.password_env} holding the mailbox password is not set"
        )
    options = ImapOptions(
        settings.host,
        settings.port,
        settings.user,
        password,
        settings.tls,
        settings.mailbox,
        settings.ca_file,
    )
    with db.session() as session:
        source_id = ensure_source(
            session, TIPLINE, TIPLINE, f"imap://{settings.host}/{settings.mailbox}"
        )

    def store(tip: Tip) -> bool:
        with db.session() as session:
            outcome = upsert_item(
                session,
                ItemData(
                    source_id=source_id,
                    url=tip.link or tip.canonical_url,
                    canonical_url=tip.canonical_url,
                    title=tip.title,
                    text=tip.text,
                    published_at=tip.received_at,
                    reply_to=tip.reply_to,
                ),
            )
        return outcome == "new"

    try:
        result = read_new(options, store)
    except IntakeError as exc:
        with db.session() as session:
            record_failure(session, source_id, str(exc))
        raise
    with db.session() as session:
        if result.errors:
            record_failure(session, source_id, "; ".join(result.errors)[:2000])
        else:
            record_success(session, source_id, 200, None, None)
    return result


@dataclass(frozen=True)
class Submitted:
    canonical_url: str
    title: str
    new: bool
    item_id: int


def submit(
    db: Database, config: Config, target: str, timeout: float = 30, title: str | None = None
) -> Submitted:
    """An analyst brings in a URL (fetched and extracted) or a text.

    A text stays text: it gets a title only when one is given, so the title multiplier of
    the score does not apply to the whole of it. Empty or blank input is refused.
    """
    if not target.strip():
        raise SubmitError("nothing to submit: the text is empty or only whitespace")
    if target.startswith(("http://", "https://")):
        fetched_title, text, url, canonical = _fetch(target, config, timeout)
        title = title if title is not None else fetched_title
    else:
        text = normalize_text(target)
        if not text.strip():
            raise SubmitError("nothing to submit: the text is empty or only whitespace")
        canonical = "submitted:" + hashlib.sha256(text.encode()).hexdigest()[:32]
        url = canonical
    title = normalize_text(title or "")
    with db.session() as session:
        source_id = ensure_source(session, SUBMITTED, SUBMITTED, "cli")
        outcome = upsert_item(session, ItemData(source_id, url, canonical, title, text))
        item_id = session.scalar(select(Item.id).where(Item.canonical_url == canonical))
    return Submitted(canonical, title, outcome == "new", int(item_id or 0))


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Every redirect's target passes the fetch guard before it is followed."""

    def __init__(self, guard: FetchGuard) -> None:
        self.guard = guard

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        self.guard.check(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch(url: str, config: Config, timeout: float) -> tuple[str, str, str, str]:
    request = urllib.request.Request(
        url, headers={"User-Agent": f"press-monitor/0.1 (+{config.crawler.contact_url})"}
    )
    guard = FetchGuard(config.crawler.allow_private_hosts)
    opener = urllib.request.build_opener(_GuardedRedirects(guard))
    try:
        guard.check(url)
        with opener.open(request, timeout=timeout) as response:
            body = response.read(config.crawler.max_response_bytes + 1)
            content_type = response.headers.get("Content-Type")
            final = response.url
    except ForbiddenAddress as exc:
        raise SubmitError(str(exc)) from None
    except OSError as exc:
        raise SubmitError(f"{url}: {exc}") from exc
    if len(body) > config.crawler.max_response_bytes:
        raise SubmitError(f"{url}: larger than {config.crawler.max_response_bytes} bytes")
    html = decode_body(body, charset_from_content_type(content_type))
    try:
        article = extract_article(html, final)
    except ExtractionError as exc:
        raise SubmitError(f"{url}: {exc}") from exc
    return article.title, article.text, final, canonical_url(final)


ACK_SUBJECT = "Đã nhận thông tin của bạn"
ACK_TEXT = (
    "Xin cảm ơn bạn đã gửi thông tin tới bộ phận tiếp nhận. Chúng tôi sẽ xác minh và, nếu "
    "cần, đính chính công khai. Đây là thư trả lời tự động; vui lòng không trả lời thư này."
)


def acknowledge_new_tips(db: Database, config: Config) -> int:
    """Answer each new tip once. The acknowledgement is recorded before it is sent, so a
    crash can lose one courtesy email but never send it twice. A refusal (nothing handed
    over) is logged and retried on later cycles, up to MAX_ACK_ATTEMPTS, then given up with
    the reason kept on the item; a message sent without a reply is never sent again."""
    from alerts.delivery import (
        DeliveryError,
        DeliveryUncertain,
        build_message,
        new_message_id,
        send_smtp,
        write_outbox,
    )
    from monitor.wiring import digest_options
    from storage.tips import ack_failed, ack_uncertain, mark_acknowledged, unacknowledged_tips

    options = digest_options(config, Path.cwd())
    sent = 0
    with db.session() as session:
        pending = unacknowledged_tips(session, TIPLINE, MAX_ACK_ATTEMPTS)
        for item_id, _ in pending:
            mark_acknowledged(session, item_id)
    for item_id, address in pending:
        message_id = new_message_id()
        text = ACK_TEXT
        html = f"<p>{ACK_TEXT}</p>"
        message = build_message(ACK_SUBJECT, text, html, options.sender, [address], message_id)
        try:
            if options.smtp is None:
                write_outbox(message, options.outbox, f"ack-{item_id:08d}.eml")
            else:
                send_smtp(message, options.smtp, [address])
            sent += 1
        except DeliveryUncertain as exc:
            log.warning("acknowledgement of tip item %s is uncertain, not resent: %s", item_id, exc)
            with db.session() as session:
                ack_uncertain(session, item_id, f"uncertain: {exc}")
        except (DeliveryError, OSError) as exc:
            with db.session() as session:
                attempts = ack_failed(session, item_id, str(exc))
            if attempts >= MAX_ACK_ATTEMPTS:
                log.error(
                    "acknowledgement of tip item %s failed (%s); giving up after %d attempts",
                    item_id,
                    exc,
                    attempts,
                )
            else:
                log.warning(
                    "acknowledgement of tip item %s failed (%s); attempt %d of %d, retried "
                    "next cycle",
                    item_id,
                    exc,
                    attempts,
                    MAX_ACK_ATTEMPTS,
                )
    return sent


def intake_cycle(db: Database, config: Config) -> tuple[IntakeResult, int, AnalysisReport]:
    """Read the mailbox, answer new tips when asked to, and analyze them like any item."""
    from monitor.analysis import analyze
    from monitor.pipeline import group_stories

    result = run_intake(db, config)
    acknowledged = (
        acknowledge_new_tips(db, config)
        if config.intake is not None and config.intake.acknowledge
        else 0
    )
    report = analyze(db, config)
    group_stories(db)
    return result, acknowledged, report
