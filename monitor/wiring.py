"""Translate the validated config into what each package takes.

crawler, nlp and alerts do not read config.yaml; this module is the one place that knows
both sides, so a config change never reaches into their code.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.sources import DEFAULT_API_URLS, google_news_url
from monitor.config import Config
from monitor.rule_packs import effective_rules
from nlp.normalize import fold
from nlp.rules import KeywordRule, LocalitySpec, PatternRule, QueryRule, RuleSet, Scoring

if TYPE_CHECKING:  # imported where used: analyze-text needs no database, mail or web code
    from alerts.bulletin import BulletinOptions
    from alerts.delivery import SmtpOptions
    from alerts.digest import DigestOptions
    from alerts.recurring import MatchPolicy
    from alerts.report import ReportOptions
    from monitor.cluster import ClusterOptions
    from monitor.learning import LearningOptions
    from storage.sources import SourceSpec
    from web.app import WebOptions


def ruleset(config: Config) -> RuleSet:
    return RuleSet(
        localities=tuple(
            LocalitySpec(
                province=loc.province,
                district=loc.district,
                aliases=tuple(loc.aliases),
                context_words=tuple(loc.context_words),
                conflict_words=tuple(loc.conflict_words),
                window=loc.context_window,
                key=loc.key,
                communes=tuple(loc.communes),
            )
            for loc in config.watched()
        ),
        keywords=tuple(
            KeywordRule(category, word, keyword_list.weight)
            for category, keyword_list in sorted(config.keywords.items())
            for word in keyword_list.words
        ),
        patterns=tuple(
            PatternRule(r.name, r.category, r.pattern, r.weight) for r in config.regex_rules
        ),
        queries=tuple(
            QueryRule(r.name, r.category, r.query, r.weight) for r in effective_rules(config)
        ),
        scoring=Scoring(
            threshold=config.scoring.threshold,
            title_multiplier=config.scoring.title_multiplier,
            trust_factors=tuple(sorted(config.scoring.trust_factors.items())),
            passage_chars=config.scoring.passage_chars,
            distant_factor=config.scoring.distant_factor,
            supporting=tuple(config.scoring.supporting),
            regex_budget_seconds=config.scoring.regex_budget_seconds,
        ),
    )


def source_specs(config: Config) -> list[SourceSpec]:
    from storage.sources import SourceSpec

    specs = []
    for s in config.sources:
        if s.kind == "google_news":
            url = google_news_url(s.query or "")
        elif s.kind in DEFAULT_API_URLS:
            url = s.api_url or DEFAULT_API_URLS[s.kind]
        else:
            url = s.url or ""
        options: dict[str, Any] = {
            "max_pages": s.max_pages,
            "selectors": dict(s.selectors),
            "follow_links": s.follow_links and s.kind == "feed",
            "query": s.query,
            "account_id": s.account_id,
            "credential_env": s.credential_env,
            "reference": s.reference,
        }

        specs.append(SourceSpec(s.name, s.kind, url, s.enabled, s.trust, options))
    return specs


# What the crawler must never run without, even when started as `scrapy crawl` on its own.
LIMIT_SETTINGS = (
    "PRESS_MONITOR_MAX_ENTRIES",
    "PRESS_MONITOR_MAX_LINKS",
    "PRESS_MONITOR_MAX_ITEM_CHARS",
    "PRESS_MONITOR_ALLOW_PRIVATE_HOSTS",
)


def scrapy_settings(config: Config) -> dict[str, Any]:
    c = config.crawler
    return {
        "USER_AGENT": f"press-monitor/0.1 (+{c.contact_url})",
        "PRESS_MONITOR_CONTACT_URL": c.contact_url,
        "DOWNLOAD_TIMEOUT": c.download_timeout,
        "DOWNLOAD_MAXSIZE": c.max_response_bytes,
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrency_per_domain,
        "ROBOTSTXT_OBEY": c.obey_robots,
        "AUTOTHROTTLE_ENABLED": c.autothrottle,
        "RETRY_TIMES": c.retries,
        "RETRY_BACKOFF_BASE": c.retry_backoff_seconds,
        "LOG_LEVEL": "WARNING",
        "PRESS_MONITOR_MAX_ENTRIES": c.max_entries_per_source,
        "PRESS_MONITOR_MAX_LINKS": c.max_links_per_source,
        "PRESS_MONITOR_MAX_ITEM_CHARS": c.max_item_chars,
        "PRESS_MONITOR_ALLOW_PRIVATE_HOSTS": list(c.allow_private_hosts),
        "EXTENSIONS": {"monitor.scrapy_sync.SyncSourcesFromConfig": None},
    }


def smtp_options(config: Config) -> SmtpOptions | None:
    from alerts.delivery import SmtpOptions

    if config.smtp is None:
        return None
    s = config.smtp
    return SmtpOptions(
        s.host, s.port, s.tls, s.sender, s.user, s.password(), s.timeout_seconds, s.ca_file
    )


def _sender(config: Config) -> str:
    return config.smtp.sender if config.smtp is not None else "press-monitor@localhost"


def _outbox(config: Config, base_dir: Path) -> Path:
    outbox = Path(config.outbox)
    return outbox if outbox.is_absolute() else base_dir / outbox


def digest_options(config: Config, base_dir: Path) -> DigestOptions:
    from alerts.digest import DigestOptions
    from alerts.routing import audiences

    return DigestOptions(
        schedule=config.digest.schedule,
        timezone=config.digest.timezone,
        all_clear=config.digest.all_clear,
        subject_prefix=config.digest.subject_prefix,
        recipients=list(config.analysts),
        outbox=_outbox(config, base_dir),
        sender=_sender(config),
        smtp=smtp_options(config),
        review_base_url=config.web.base_url,
        max_alerts=config.digest.max_alerts,
        alerts_per_source_per_run=config.limits.alerts_per_source_per_run,
        audiences=audiences(
            list(config.analysts), {loc.key: list(loc.analysts) for loc in config.watched()}
        ),
        locality_names=locality_names(config),
    )


def learning_options(config: Config, seeds: list[Path] | None = None) -> LearningOptions:
    """``seeds`` given (by `learn --seed`) replace the configured ones."""
    from monitor.learning import LearningOptions
    from nlp.learned import Policy

    c = config.learning
    return LearningOptions(
        seeds=tuple(seeds if seeds is not None else (Path(p) for p in c.seeds)),
        policy=Policy(folds=c.folds, min_lift=c.min_lift, tolerance=c.tolerance),
        may_flag=c.may_flag,
        flag_threshold=c.flag_threshold,
    )


def bulletin_options(config: Config, base_dir: Path) -> BulletinOptions:
    """Only contacts that opted in are ever sent anything."""
    from alerts.bulletin import BulletinOptions, Contact

    base = config.web.base_url
    return BulletinOptions(
        contacts=tuple(
            Contact(c.newsroom, c.email, c.editor) for c in config.press_contacts if c.opt_in
        ),
        unsubscribe=config.bulletin.unsubscribe,
        schedule=config.bulletin.schedule,
        timezone=config.digest.timezone,
        subject_prefix=config.bulletin.subject_prefix,
        office=config.office.name,
        locality=locality_name(config),
        locality_names=locality_names(config),
        sender=_sender(config),
        smtp=smtp_options(config),
        outbox=_outbox(config, base_dir),
        public_url=f"{base.rstrip('/')}/clarifications" if base else None,
    )


def locality_names(config: Config) -> tuple[tuple[str, str], ...]:
    """(key, display name) of every watched locality, in config order."""
    return tuple((loc.key, loc.name) for loc in config.watched())


def locality_name(config: Config) -> str:
    """The installation's localities as one name (bulletins and reports on all of them)."""
    return ", ".join(loc.name for loc in config.watched())


def report_options(config: Config) -> ReportOptions:
    from alerts.report import ReportOptions

    o = config.office
    return ReportOptions(
        parent=o.parent,
        office=o.name,
        code=o.code,
        place=o.place,
        timezone=config.digest.timezone,
        failures=config.service.max_consecutive_failures,
    )


def match_policy(config: Config) -> MatchPolicy | None:
    """None when claim matching is switched off."""
    from alerts.recurring import MatchAction, MatchPolicy

    r = config.recurring
    if not r.enabled:
        return None
    actions = {
        verdict: MatchAction(action.effect, action.lower_by) for verdict, action in r.on_match
    }
    return MatchPolicy(r.similarity, r.auto_verdict, actions)


def alerts_per_source_per_run(config: Config) -> int | None:
    return config.limits.alerts_per_source_per_run


def web_options(config: Config) -> WebOptions:
    import logging
    import secrets

    from web.app import WebOptions

    key = config.web.secret_key()
    if not key:
        logging.getLogger("press_monitor.web").warning(
            "%s is not set: sessions will not survive a restart", config.web.secret_key_env
        )
        key = secrets.token_urlsafe(32)
    return WebOptions(
        secret_key=key,
        session_hours=config.web.session_hours,
        base_url=config.web.base_url,
        feed_title=config.web.feed_title,
        timezone=config.digest.timezone,
        fold=fold,
        per_page=config.web.per_page,
        login_failures_per_user=config.web.login_failures_per_user,
        login_failures_per_address=config.web.login_failures_per_address,
        login_window_minutes=config.web.login_window_minutes,
        localities=locality_names(config),
    )


def cluster_options(config: Config) -> ClusterOptions | None:
    """None without a Redis URL: everything runs in one process."""
    from monitor.cluster import ClusterOptions

    c = config.cluster
    if not c.redis_url:
        return None
    return ClusterOptions(
        redis_url=c.redis_url,
        prefix=c.key_prefix,
        heartbeat_seconds=c.heartbeat_seconds,
        dead_after_seconds=c.dead_after_seconds,
        dispatch_seconds=c.dispatch_seconds,
        analysis_batch=c.analysis_batch,
        fulltext_wait_seconds=c.fulltext_wait_seconds,
        worker_threads=c.worker_threads,
        dupefilter_seconds=int(c.dupefilter_hours * 3600),
    )
