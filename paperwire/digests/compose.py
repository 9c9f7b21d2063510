"""The digest of one period for one subscriber, and its text and HTML renderings.

A digest is the period's trending papers (``paperwire.papers.trending``, the function the trending
page uses), then the period's new papers matching each topic (``paperwire.search.service``) and each
category, leaving out every paper already sent to this subscriber (``digest_items``). A period with
nothing new says why instead of arriving empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import DailyEntry, DigestItem, Paper, Subscription
from paperwire.errors import PaperwireError, UsageError
from paperwire.papers.daily import UPVOTES
from paperwire.papers.trending import trending
from paperwire.papers.views import author_names, summarise
from paperwire.search import service

TRENDING_LIMIT = 10
TOPIC_LIMIT = 5
CATEGORY_LIMIT = 10
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, trim_blocks=True
)


@dataclass(frozen=True)
class Period:
    """A daily period (``2026-06-07``) or an ISO week (``2026-W23``), as half-open dates."""

    frequency: str
    start: date
    end: date

    @property
    def key(self) -> str:
        if self.frequency == "daily":
            return self.start.isoformat()
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def label(self) -> str:
        if self.frequency == "daily":
            return f"{self.start:%A} {self.start.day} {self.start:%B %Y}"
        last = self.end - timedelta(days=1)
        return f"the week of {self.start.day} {self.start:%B} to {last.day} {last:%B %Y}"


def period_for(frequency: str, day: date) -> Period:
    """The period of ``frequency`` containing ``day``."""
    if frequency == "daily":
        return Period("daily", day, day + timedelta(days=1))
    if frequency == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period("weekly", monday, monday + timedelta(days=7))
    raise UsageError(f"frequency must be daily or weekly, not {frequency!r}")


@dataclass(frozen=True)
class DigestPaper:
    id: str
    title: str
    authors: str
    summary: str
    votes: int
    url: str
    arxiv_url: str | None


@dataclass
class Section:
    title: str
    papers: list[DigestPaper]


@dataclass
class Digest:
    subscription_id: int
    email: str
    period: Period
    sections: list[Section] = field(default_factory=list)
    empty_reason: str | None = None

    @property
    def paper_ids(self) -> list[str]:
        return [p.id for s in self.sections for p in s.papers]

    @property
    def is_empty(self) -> bool:
        return not self.paper_ids


def _paper(settings: Settings, row: Paper, votes: int) -> DigestPaper:
    names = author_names(row.authors)
    authors = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return DigestPaper(
        id=row.id,
        title=" ".join(row.title.split()),
        authors=authors,
        summary=summarise(row.abstract or ""),
        votes=votes,
        url=f"{settings.base_url}/papers/{row.id}",
        arxiv_url=f"https://arxiv.org/abs/{row.arxiv_id}" if row.arxiv_id else None,
    )


class PeriodContent:
    """What every subscriber's digest of one period draws on, computed once per send run."""

    def __init__(self, settings: Settings, engine: Engine, period: Period) -> None:
        self.settings = settings
        self.engine = engine
        self.period = period
        start = datetime.combine(period.start, time())
        end = datetime.combine(period.end, time())
        with Session(engine) as session:
            ranked = trending(session, now=end, window=end - start, limit=TRENDING_LIMIT)
            trending_ids = [t.card.id for t in ranked]
            rows = list(
                session.execute(
                    select(Paper, UPVOTES)
                    .outerjoin(DailyEntry, DailyEntry.paper_id == Paper.id)
                    .where(
                        Paper.hidden.is_(False),
                        or_(
                            DailyEntry.list_date.between(
                                period.start, period.end - timedelta(days=1)
                            ),
                            Paper.published_at.between(start, end - timedelta(microseconds=1)),
                        ),
                    )
                ).all()
            )
            extra = set(trending_ids) - {p.id for p, _ in rows}
            if extra:
                rows += session.execute(select(Paper, UPVOTES).where(Paper.id.in_(extra))).all()
        self.papers = {p.id: _paper(settings, p, votes or 0) for p, votes in rows}
        self.categories = {p.id: {*(p.categories or []), p.primary_category} for p, _ in rows}
        self.trending_ids = trending_ids
        self.new_ids = sorted(
            (p.id for p, _ in rows if p.id not in extra),
            key=lambda pid: -self.papers[pid].votes,
        )
        self._topics: dict[str, list[str]] = {}

    def topic(self, query: str) -> list[str]:
        """This period's new papers matching ``query``, best first (searched once per run)."""
        if query not in self._topics:
            try:
                found = service.search(
                    self.settings,
                    self.engine,
                    query,
                    mode="lexical",
                    limit=service.MAX_LIMIT,
                    date_from=self.period.start - timedelta(days=7),
                    date_to=self.period.end,
                    snippets=False,
                )
                ids = [r.id for r in found.results if r.id in self.papers]
            except PaperwireError:
                ids = []
            self._topics[query] = ids
        return self._topics[query]

    def category(self, name: str) -> list[str]:
        return [pid for pid in self.new_ids if name in self.categories[pid]]

    def empty_reason(self) -> str:
        if self.period.frequency == "daily" and self.period.start.weekday() >= 5:
            return (
                "arXiv makes no announcements on Saturdays and Sundays, so there are no new papers "
                "today. Your next digest will have Monday's papers."
            )
        if not self.papers:
            return "No new papers were listed in this period."
        return "Every new paper of this period that matches your digest was already sent to you."


def already_sent(session: Session, subscription_id: int, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    return set(
        session.scalars(
            select(DigestItem.paper_id).where(
                DigestItem.subscription_id == subscription_id, DigestItem.paper_id.in_(ids)
            )
        )
    )


def compose(session: Session, content: PeriodContent, sub: Subscription) -> Digest:
    """The digest of ``content.period`` for ``sub``: trending, then topics, then categories."""
    digest = Digest(subscription_id=sub.id, email=sub.email, period=content.period)
    candidates = {
        "Trending": content.trending_ids[:TRENDING_LIMIT],
        **{f"New on “{t}”": content.topic(t)[:50] for t in sub.topics or []},
        **{f"New in {c}": content.category(c)[:50] for c in sub.categories or []},
    }
    every = [pid for ids in candidates.values() for pid in ids]
    seen = already_sent(session, sub.id, every)
    for title, ids in candidates.items():
        limit = TRENDING_LIMIT if title == "Trending" else TOPIC_LIMIT
        chosen: list[DigestPaper] = []
        for pid in ids:
            if pid in seen:
                continue
            seen.add(pid)
            chosen.append(content.papers[pid])
            if len(chosen) >= limit:
                break
        if chosen:
            digest.sections.append(Section(title, chosen))
    if digest.is_empty:
        digest.empty_reason = content.empty_reason()
    return digest


def render(settings: Settings, digest: Digest, links: dict[str, str]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest; ``links`` holds its manage and unsubscribe URLs."""
    count = len(digest.paper_ids)
    subject = f"{settings.community} digest, {digest.period.label}: " + (
        f"{count} paper{'s' if count != 1 else ''}" if count else "nothing new"
    )
    context: dict[str, Any] = {"site": settings, "digest": digest, "links": links}
    text = _ENV.get_template("digest.txt").render(context)
    html = _ENV.get_template("digest.html").render(context)
    return subject, text, html
