"""The config.yaml schema (pydantic v2) and its loading, with errors that name the bad key.

Ops edit this file by hand; a mistake must come back as "sources[2].url: ..." rather than a
traceback, and a running service keeps its last good config when a new one is refused.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from monitor.config_path import DATABASE_URL_ENV, REDIS_URL_ENV, resolve_path

SourceKind = Literal[
    "feed",
    "google_news",
    "site",
    "telegram",
    "youtube_search",
    "facebook_page",
    "instagram_account",
]
API_KINDS = ("youtube_search", "facebook_page", "instagram_account")
TrustLevel = Literal["official", "press", "social", "unknown"]
Category = Literal[
    "rumour",
    "fake_info",
    "denial",
    "scam",
    "impersonation",
    "urgency",
    "disaster",
    "health",
    "doctored_media",
    "fake_notice",
    "kidnapping",
    "case",
]


class Strict(BaseModel):
    """Unknown keys are refused: a misspelt key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(Strict):
    """Either a fixed interval or a cron expression (evaluated in the service time zone)."""

    interval_minutes: Annotated[float, Field(gt=0)] | None = None

    cron: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Schedule:
        if (self.interval_minutes is None) == (self.cron is None):
            raise ValueError("give exactly one of interval_minutes or cron")
        if self.cron is not None:
            _check_cron(self.cron)
        return self


def _check_cron(expr: str) -> None:
    from monitor.cron_check import check_cron

    check_cron(expr)


EMAIL = r"^[^@\s]+@[^@\s]+$"
Email = Annotated[str, Field(pattern=EMAIL)]
DEFAULT_LOCALITY_KEY = "default"  # the key of the single `locality:` section


class _Area(Strict):
    """What every watched area has: a display name, the words that decide its names."""

    name: Annotated[str, Field(min_length=1)]
    province: Annotated[str, Field(min_length=1)]
    aliases: list[Annotated[str, Field(min_length=2)]] = []
    context_words: list[str] = []
    conflict_words: list[str] = []
    context_window: Annotated[int, Field(gt=0)] = 250


def _check_units(province: str, district: str | None, communes: list[str]) -> None:
    """The named units must be in underthesea's administrative data (`locality find`)."""
    from nlp.gazetteer import GazetteerError, build_gazetteer

    try:
        build_gazetteer(province, district, [], communes=communes)
    except GazetteerError as exc:
        when = "since" if communes else "before"
        raise ValueError(
            f"{exc} (names as {when} 2025-07-01; `press-monitor locality find NAME` helps)"
        ) from None


class Locality(_Area):
    """The single watched area of the original config form, named as before the 2025
    reorganization; it is the locality with key "default"."""

    district: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _known_district(self) -> Locality:
        _check_units(self.province, self.district, [])
        return self


class LocalityEntry(_Area):
    """One of several watched localities: a former district (``province`` + ``district``,
    names before 2025-07-01) or current communes (``province`` + ``communes``), with the
    analysts who receive its digest."""

    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    district: Annotated[str, Field(min_length=1)] | None = None
    communes: list[Annotated[str, Field(min_length=1)]] = []
    analysts: list[Email] = []

    @model_validator(mode="after")
    def _known_units(self) -> LocalityEntry:
        if (self.district is None) == (not self.communes):
            raise ValueError("give either district (names before 2025-07-01) or communes")
        _check_units(self.province, self.district, self.communes)
        return self


class Source(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
    kind: SourceKind
    url: str | None = None
    query: str | None = None
    schedule: Schedule = Schedule(interval_minutes=60)
    enabled: bool = True
    trust: TrustLevel = "press"
    max_pages: Annotated[int, Field(gt=0)] = 20
    selectors: dict[str, str] = {}
    # feed: follow entries with a short summary to the article page for the full text.
    # Turn off for RSS bridges of social pages, whose links lead behind log-in walls.
    follow_links: bool = True
    # API sources: the page or account id, the env var holding the key or token (never the
    # secret itself), and the API's base URL when not the public one.
    account_id: str | None = None
    credential_env: str | None = None
    api_url: str | None = None
    # a trusted publisher of checked claims (the fake-news centre's labels, the police's scam
    # warnings): its items raise no alerts; they join the claims new items are matched against
    reference: Literal["false_claims"] | None = None

    @model_validator(mode="after")
    def _target(self) -> Source:
        if self.kind in ("google_news", "youtube_search"):
            if not self.query:
                raise ValueError(f"a {self.kind} source needs a query")
        elif self.kind in ("facebook_page", "instagram_account"):
            if not self.account_id:
                raise ValueError(f"a {self.kind} source needs an account_id")
        elif not self.url:
            raise ValueError(f"a {self.kind} source needs a url")
        if self.kind in API_KINDS and not self.credential_env:
            raise ValueError(
                f"a {self.kind} source needs credential_env (the variable "
                "holding its API key or page token)"
            )
        if self.api_url and not re.match(r"^https?://", self.api_url):
            raise ValueError(f"api_url must start with http:// or https://, got {self.api_url!r}")

        if self.url and not re.match(r"^https?://", self.url):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        return self


class KeywordList(Strict):
    """Negative weights are allowed for markers that lower suspicion (official denials)."""

    weight: Annotated[float, Field(ge=-10, le=10)] = 1.0
    words: list[Annotated[str, Field(min_length=1)]]


class RegexRule(Strict):
    name: Annotated[str, Field(min_length=1)]
    category: Category
    pattern: str
    weight: Annotated[float, Field(ge=0)] = 1.0

    @field_validator("pattern")
    @classmethod
    def _safe(cls, value: str) -> str:
        from nlp.regex_guard import check_pattern

        check_pattern(value)
        return value


class QueryRule(Strict):
    """A rule in the rule language (see nlp/query.py and the README's "Writing rules")."""

    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9_]+$")]
    category: Category
    query: Annotated[str, Field(min_length=1)]
    weight: Annotated[float, Field(ge=-10, le=10)] = 2.0
    description: str = ""

    @field_validator("query")
    @classmethod
    def _parses(cls, value: str, info: ValidationInfo) -> str:
        if (info.context or {}).get("shipped_pack"):
            return value  # parsed when an analyzer is built; tests parse every pack query
        from nlp.query import parse_query

        parse_query(value)
        return value


class Scoring(Strict):
    threshold: Annotated[float, Field(ge=0)] = 3.0
    title_multiplier: Annotated[float, Field(ge=1)] = 1.5
    # evidence farther than passage_chars from every mention of the place counts
    # distant_factor of its weight; supporting categories never make a claim alone
    passage_chars: Annotated[int, Field(gt=0)] = 400
    distant_factor: Annotated[float, Field(ge=0, le=1)] = 0.6
    supporting: list[Category] = ["case", "urgency"]
    regex_budget_seconds: Annotated[float, Field(gt=0, le=10)] = 0.25
    trust_factors: dict[TrustLevel, Annotated[float, Field(ge=0)]] = {
        "official": 0.5,
        "press": 1.0,
        "social": 1.3,
        "unknown": 1.2,
    }


class Smtp(Strict):
    host: str
    port: Annotated[int, Field(gt=0, lt=65536)] = 587
    tls: Literal["none", "starttls", "tls"] = "starttls"
    user: str | None = None
    password_env: str | None = None
    sender: str
    timeout_seconds: Annotated[float, Field(gt=0)] = 30
    ca_file: str | None = None  # CA bundle for a server with a private certificate

    def password(self) -> str | None:
        """Secrets live only in the environment, never in config.yaml."""
        return os.environ.get(self.password_env) if self.password_env else None


class DigestSettings(Strict):
    schedule: str = "0 7 * * *"
    timezone: str = "Asia/Ho_Chi_Minh"
    all_clear: bool = False
    subject_prefix: str = "[press-monitor]"
    # the strongest alerts shown in one message; the rest are counted, with the queue's link
    max_alerts: Annotated[int, Field(gt=0)] = 50

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        _check_cron(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


OneLine = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class PressContact(Strict):
    """A newsroom that asked for the office's bulletin. Only contacts with ``opt_in: true``
    get it; keep one that unsubscribed with ``opt_in: false`` as the record of it."""

    newsroom: OneLine
    editor: OneLine | None = None
    email: Annotated[str, Field(pattern=EMAIL, max_length=320)]
    opt_in: bool


class BulletinSettings(Strict):
    """The press bulletin: when it goes (cron in the digest's time zone) and the address that
    takes unsubscribe requests, named in every message."""

    schedule: str = "0 8 * * mon"
    unsubscribe: Annotated[str, Field(pattern=EMAIL, max_length=320)] | None = None
    subject_prefix: OneLine = "[Thông tin cho báo chí]"

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        _check_cron(value)
        return value


class Office(Strict):
    """Who the office is, as bulletins and reports name it: the governing body above it and
    its own name (as written in a sentence; the report heading puts them in capitals), the
    code in report numbers ("Số: 12/BC-BPTD") and the place in the date line."""

    parent: OneLine = "UBND tỉnh Quảng Ngãi"
    name: OneLine = "Bộ phận theo dõi thông tin"
    code: Annotated[str, Field(pattern=r"^[A-Za-zĐđ0-9-]{1,30}$")] = "BPTD"
    place: OneLine = "Quảng Ngãi"


class Crawler(Strict):
    contact_url: str = "https://example.invalid/press-monitor"
    download_timeout: Annotated[float, Field(gt=0)] = 30
    max_response_bytes: Annotated[int, Field(gt=0)] = 5_000_000
    concurrency_per_domain: Annotated[int, Field(gt=0)] = 2
    obey_robots: bool = True
    autothrottle: bool = True
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    retry_backoff_seconds: Annotated[float, Field(ge=0)] = 1.0
    # Limits and fetch guard: what one source, one run or one address may cost.
    max_entries_per_source: Annotated[int, Field(gt=0)] = 200
    max_links_per_source: Annotated[int, Field(ge=0)] = 100
    max_item_chars: Annotated[int, Field(ge=1000)] = 100_000
    run_timeout_seconds: Annotated[float, Field(gt=0)] = 1800
    allow_private_hosts: list[str] = []

    @field_validator("allow_private_hosts")
    @classmethod
    def _hosts_or_networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            if not entry.strip():
                raise ValueError("an empty entry; give a host name, an address or a CIDR")
            if "/" in entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError as exc:
                    raise ValueError(f"{entry!r} is not a network: {exc}") from None
        return value


class Service(Strict):
    """The unattended service (`press-monitor run`)."""

    retention_schedule: str = "30 3 * * *"
    config_check_seconds: Annotated[float, Field(gt=0)] = 5
    shutdown_timeout_seconds: Annotated[float, Field(gt=0)] = 60
    misfire_grace_seconds: Annotated[int, Field(gt=0)] = 600
    max_consecutive_failures: Annotated[int, Field(gt=0)] = 3

    @field_validator("retention_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        _check_cron(value)
        return value


class Learning(Strict):
    """The learned second opinion (`press-monitor learn`; monitor/learning.py)."""

    # cron for retraining in the service (service time zone); null: only `learn` retrains
    schedule: str | None = "0 2 * * 0"
    # labelled JSON lines (files or folders, as for `eval`) learned with the verdicts;
    # relative paths are relative to the working directory, like outbox
    seeds: list[str] = []
    # the model may flag an item the rules did not (only with a locality mention and
    # p >= flag_threshold); false: it orders and informs, never flags
    may_flag: bool = False
    flag_threshold: Annotated[float, Field(gt=0.5, le=1)] = 0.9
    folds: Annotated[int, Field(ge=2, le=20)] = 5
    # a model must beat a random ranking's average precision by this much
    min_lift: Annotated[float, Field(ge=0, le=1)] = 0.15
    # a new model may be this much lower in cross-validated F1 or average precision
    tolerance: Annotated[float, Field(ge=0, le=1)] = 0.02

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            _check_cron(value)
        return value

    @field_validator("seeds")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        if any(not path.strip() for path in value):
            raise ValueError("an empty path")
        return value


class Cluster(Strict):
    """More than one process (`run --role`): set ``redis_url`` (or PRESS_MONITOR_REDIS_URL)
    and use PostgreSQL; without a Redis URL everything runs in one process, as before."""

    redis_url: str | None = None
    key_prefix: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")] = "press-monitor"
    heartbeat_seconds: Annotated[float, Field(gt=0)] = 5
    # a process silent this long is dead: its crawl requests and tasks go to the others
    dead_after_seconds: Annotated[float, Field(gt=0)] = 60
    dispatch_seconds: Annotated[float, Field(gt=0)] = 5  # how often pending items are queued
    analysis_batch: Annotated[int, Field(gt=0, le=1000)] = 50  # items per analysis task
    # an item waiting for its article's text is analysed when the text is in, or after this
    fulltext_wait_seconds: Annotated[float, Field(ge=0)] = 300
    worker_threads: Annotated[int, Field(gt=0, le=64)] = 1
    # a linked article is fetched at most once in this many hours by the whole cluster
    dupefilter_hours: Annotated[float, Field(gt=0)] = 24

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


class Limits(Strict):
    """Caps on work one run may create, whatever a source delivers (see README, Security
    and limits)."""

    # alerts created per source in one analysis run, strongest first; the rest wait
    alerts_per_source_per_run: Annotated[int, Field(gt=0)] = 50


class Web(Strict):
    """The review pages (`press-monitor serve`)."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(gt=0, lt=65536)] = 8080
    base_url: str | None = None  # as analysts reach it; digests link to alert pages
    secret_key_env: str = "PRESS_MONITOR_WEB_SECRET"
    session_hours: Annotated[float, Field(gt=0)] = 8
    feed_title: str = "Thông tin đính chính"
    per_page: Annotated[int, Field(gt=0, le=500)] = 50  # alerts per queue page
    login_failures_per_user: Annotated[int, Field(gt=0)] = 5
    login_failures_per_address: Annotated[int, Field(gt=0)] = 20
    login_window_minutes: Annotated[float, Field(gt=0)] = 15

    def secret_key(self) -> str | None:
        return os.environ.get(self.secret_key_env)


class Intake(Strict):
    """The tip line mailbox, read over IMAP by `press-monitor intake`."""

    host: str
    port: Annotated[int, Field(gt=0, lt=65536)] = 993
    tls: Literal["none", "starttls", "tls"] = "tls"
    user: str
    password_env: str
    mailbox: str = "INBOX"
    ca_file: str | None = None
    schedule: Schedule = Schedule(interval_minutes=10)
    acknowledge: bool = False  # answer each new tip once (by SMTP, or into the outbox)

    def password(self) -> str | None:
        return os.environ.get(self.password_env)


class MatchAction(Strict):
    """What a repost of a claim with this verdict does (see alerts/recurring.py)."""

    effect: Literal["flag", "lower", "none"]
    lower_by: Annotated[float, Field(ge=0, le=10)] = 2.0


class OnMatch(Strict):
    verified_false: MatchAction = MatchAction(effect="flag")
    misleading: MatchAction = MatchAction(effect="flag")
    verified_true: MatchAction = MatchAction(effect="lower")
    dismissed: MatchAction = MatchAction(effect="lower")


class Recurring(Strict):
    """Claim matching against the claims the office has checked (README, Recurring claims)."""

    enabled: bool = True
    similarity: Annotated[float, Field(gt=0, le=1)] = 0.45
    auto_verdict: bool = False
    on_match: OnMatch = OnMatch()
    # recent items whose words the IDF is fitted on, beside the stored claims
    background_items: Annotated[int, Field(ge=0, le=100_000)] = 2000


class Config(Strict):
    # one area (`locality:`) or several (`localities:`), never both
    locality: Locality | None = None
    localities: list[LocalityEntry] = []
    sources: list[Source] = []
    keywords: dict[Category, KeywordList] = {}
    regex_rules: list[RegexRule] = []
    rule_packs: list[str] = ["vi-default"]
    rules: list[QueryRule] = []
    disabled_rules: list[str] = []  # after rule_packs and rules: it is checked against both
    scoring: Scoring = Scoring()
    analysts: list[Email] = []  # receive every locality's alerts (the provincial office)
    smtp: Smtp | None = None
    digest: DigestSettings = DigestSettings()
    database_url: str = "sqlite:///data/press-monitor.db"
    outbox: str = "data/outbox"
    retention_days: Annotated[int, Field(gt=0)] = 180
    crawler: Crawler = Crawler()
    service: Service = Service()
    web: Web = Web()
    intake: Intake | None = None
    limits: Limits = Limits()
    learning: Learning = Learning()
    press_contacts: list[PressContact] = []
    bulletin: BulletinSettings = BulletinSettings()
    office: Office = Office()
    cluster: Cluster = Cluster()
    recurring: Recurring = Recurring()

    @model_validator(mode="after")
    def _press_contacts(self) -> Config:
        emails = [c.email.lower() for c in self.press_contacts]
        duplicates = sorted({e for e in emails if emails.count(e) > 1})
        if duplicates:
            raise ValueError(f"press_contacts: duplicate email {', '.join(duplicates)}")
        if any(c.opt_in for c in self.press_contacts) and not self.bulletin.unsubscribe:
            raise ValueError(
                "bulletin.unsubscribe: an address for unsubscribe requests is required "
                "when a press contact has opted in (every bulletin names it)"
            )
        return self

    @field_validator("localities")
    @classmethod
    def _unique_keys(cls, value: list[LocalityEntry]) -> list[LocalityEntry]:
        first: dict[str, int] = {}
        errors = []
        for index, entry in enumerate(value):
            if entry.key in first:
                error = PydanticCustomError(
                    "duplicate_key",
                    "duplicate key '{key}' (first at localities[{first}].key)",
                    {"key": entry.key, "first": first[entry.key]},
                )
                errors.append(InitErrorDetails(type=error, loc=(index, "key"), input=entry.key))
            first.setdefault(entry.key, index)
        if errors:
            raise ValidationError.from_exception_data("localities", errors)
        return value

    @model_validator(mode="after")
    def _one_area_form(self) -> Config:
        if self.locality is None and not self.localities:
            raise ValueError("give a locality: section or a localities: list")
        if self.locality is not None and self.localities:
            raise ValueError("give either locality: or localities:, not both")
        return self

    def watched(self) -> list[LocalityEntry]:
        """Every watched locality; the single `locality:` section is the one with key
        "default" and the top-level analysts."""
        if self.locality is None:
            return list(self.localities)
        fields = self.locality.model_dump()
        return [LocalityEntry.model_construct(key=DEFAULT_LOCALITY_KEY, communes=[], **fields)]

    @model_validator(mode="after")
    def _cluster_on_postgresql(self) -> Config:
        if self.cluster.redis_url and not self.database_url.startswith("postgresql"):
            raise ValueError(
                "cluster.redis_url is set but database_url is not PostgreSQL: processes on "
                "several machines share one PostgreSQL database (SQLite is for one process)"
            )
        return self

    @model_validator(mode="after")
    def _unique_source_names(self) -> Config:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"duplicate source name {source.name!r}")
            seen.add(source.name)
        return self

    @field_validator("rule_packs")
    @classmethod
    def _packs_load(cls, value: list[str]) -> list[str]:
        from monitor.rule_packs import load_pack

        for name in value:
            load_pack(name)  # PackError (a ValueError) names the pack, the rule and the key
        return value

    @field_validator("rules")
    @classmethod
    def _unique_rule_names(cls, value: list[QueryRule]) -> list[QueryRule]:
        names = [rule.name for rule in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule names: {', '.join(duplicates)}")
        return value

    @field_validator("disabled_rules")
    @classmethod
    def _known_disabled_rules(cls, value: list[str], info: ValidationInfo) -> list[str]:
        from monitor.rule_packs import load_pack

        known = {rule.name for rule in info.data.get("rules", [])}
        for pack in info.data.get("rule_packs", []):
            known |= {rule.name for rule in load_pack(pack)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown rules: {', '.join(unknown)}")
        return value


class ConfigError(Exception):
    """A config file that cannot be used; ``problems`` are (key path, reason) pairs."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]) -> None:
        self.path = path
        self.problems = problems
        lines = [
            f"{path}: {key}: {reason}" if key else f"{path}: {reason}" for key, reason in problems
        ]
        super().__init__("\n".join(lines))


def read_yaml(text: str) -> object:
    """YAML with libyaml's C loader when PyYAML has it (it ships in the wheels): the pure
    Python loader took a fifth of a quick command's start-up."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_config(path: str | Path | None = None, content: bytes | None = None) -> Config:
    """Read and validate config.yaml; the database URL may be overridden from the environment.

    ``content``: the file's bytes when the caller has read them (monitor/rule_cache.py keys
    its cache by them): what is validated is then what was keyed, even if the file is saved
    meanwhile, and a config given as a pipe is read once."""
    file = resolve_path(path)
    try:
        text = file.read_text(encoding="utf-8") if content is None else content.decode("utf-8")
        raw = read_yaml(text)
    except FileNotFoundError:
        raise ConfigError(file, [("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, [("", f"cannot read: {exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(file, [("", f"{where}invalid YAML: {reason}")]) from None
    if not isinstance(raw, dict):
        raise ConfigError(file, [("", "the top level must be a mapping of keys")])
    override = os.environ.get(DATABASE_URL_ENV)
    if override:
        raw["database_url"] = override
    redis_override = os.environ.get(REDIS_URL_ENV)
    if redis_override:
        cluster = raw.get("cluster")
        raw["cluster"] = {
            **(cluster if isinstance(cluster, dict) else {}),
            "redis_url": redis_override,
        }
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(file, [(_key_path(e["loc"]), e["msg"]) for e in exc.errors()]) from None


def _key_path(loc: tuple[int | str, ...]) -> str:
    """('sources', 2, 'url') -> 'sources[2].url'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in {"function-after", "function-before"} or "[" in str(part):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out
