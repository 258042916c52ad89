"""Digest rendering: Vietnamese HTML and plain text from Jinja2 templates.

Everything that came from the web (titles, text, links) goes through autoescaping; links
are only rendered when they are http(s), so a crafted ``javascript:`` link stays text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from alerts.explain import MISSING, explain, explanation_lines
from alerts.labels import CATEGORY_LABELS, STATUS_LABELS
from alerts.local_times import local_time
from alerts.scores import format_probability, format_score

if TYPE_CHECKING:
    from alerts.recurring import LinkView
    from alerts.stories import Spread


SNIPPET_RADIUS = 140


@dataclass(frozen=True)
class DigestEntry:
    alert_id: int
    title: str
    source: str
    url: str
    published_at: datetime | None
    score: float
    categories: list[str]
    localities: list[str]
    snippet: list[tuple[str, bool]]
    matched_words: list[str] = field(default_factory=list)
    review_url: str | None = None  # the alert's page, when the review pages are served
    title_parts: list[tuple[str, bool]] = field(default_factory=list)  # title, matches marked
    explanation: dict[str, Any] | None = None  # the analysis' stored explanation, if any
    probability: float | None = None  # the learned model's second opinion, if any
    link: LinkView | None = None  # the checked claim this item repeats or denies


@dataclass(frozen=True)
class DigestStory:
    """Alerts about one story, with how it spread (None when the item has no story yet)."""

    entries: list[DigestEntry]
    spread: Spread | None = None

    @property
    def score(self) -> float:
        return max(e.score for e in self.entries)


@dataclass(frozen=True)
class DigestSection:
    """The stories of one watched locality, under its name (None: no heading)."""

    name: str | None
    stories: list[DigestStory]

    @property
    def count(self) -> int:
        return sum(len(story.entries) for story in self.stories)


@dataclass(frozen=True)
class DigestView:
    period_start: datetime
    period_end: datetime
    stories: list[DigestStory]
    timezone: str = "Asia/Ho_Chi_Minh"
    subject_prefix: str = "[press-monitor]"
    notices: list[str] = field(default_factory=list)
    more: int = 0  # alerts of the period beyond the digest's cap, not shown
    queue_url: str | None = None  # the review queue, when the pages are served
    # by locality, when the message covers several watched localities; else one group
    sections: list[DigestSection] = field(default_factory=list)
    # reposts of claims found false or misleading: on top, with the clarification
    returning: list[DigestEntry] = field(default_factory=list)

    @property
    def entries(self) -> list[DigestEntry]:
        return self.returning + [e for story in self.stories for e in story.entries]

    @property
    def groups(self) -> list[DigestSection]:
        return self.sections or [DigestSection(None, self.stories)]


def safe_url(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("alerts", "templates"),
        autoescape=select_autoescape(["html", "html.j2"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["category"] = lambda c: CATEGORY_LABELS.get(c, c)
    env.filters["status"] = lambda s: STATUS_LABELS.get(s, s)
    env.filters["safe_url"] = safe_url
    env.filters["score"] = format_score
    env.filters["probability"] = format_probability
    env.globals["explain"] = explain
    env.globals["explanation_lines"] = explanation_lines
    env.globals["MISSING_EXPLANATION"] = MISSING
    return env


ENV = _environment()


def subject(view: DigestView) -> str:
    end = local_time(view.period_end, view.timezone)
    count = len(view.entries) + view.more
    if count == 0:
        return f"{view.subject_prefix} Bản tin đến {end}: không có cảnh báo mới"
    return f"{view.subject_prefix} Bản tin đến {end}: {count} cảnh báo mới"


def render(view: DigestView) -> tuple[str, str]:
    """(plain text, HTML) of a digest."""
    context: dict[str, Any] = {
        "view": view,
        "start": local_time(view.period_start, view.timezone)
        if view.period_start.year > 1970
        else None,
        "end": local_time(view.period_end, view.timezone),
        "when": lambda d: local_time(d, view.timezone),
        "subject": subject(view),
    }
    text = ENV.get_template("digest.txt.j2").render(context)
    html = ENV.get_template("digest.html.j2").render(context)
    return text, html


def marked(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The whole of a short text (a title) split into (segment, is_match) pieces."""
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in sorted(spans):
        if start < cursor or end > len(text):
            continue
        pieces += [(text[cursor:start], False), (text[start:end], True)]
        cursor = end
    pieces.append((text[cursor:], False))
    return [p for p in pieces if p[0]]


def snippet(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """A window of text around the first match, split into (segment, is_match) pieces."""
    if not text:
        return []
    if not spans:
        cut = text[: 2 * SNIPPET_RADIUS]
        return [(cut + ("…" if len(text) > len(cut) else ""), False)]
    spans = sorted(spans)
    lo = max(0, spans[0][0] - SNIPPET_RADIUS)
    hi = min(len(text), spans[0][1] + SNIPPET_RADIUS)
    pieces: list[tuple[str, bool]] = [("…", False)] if lo > 0 else []
    cursor = lo
    for start, end in spans:
        if start < cursor or end > hi:
            continue
        pieces += [(text[cursor:start], False), (text[start:end], True)]
        cursor = end
    pieces.append((text[cursor:hi] + ("…" if hi < len(text) else ""), False))
    return [p for p in pieces if p[0]]
