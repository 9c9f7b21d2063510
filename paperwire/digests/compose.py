"""The digest of one period for one subscriber, and its text and HTML renderings.

A digest is the period's trending papers (``paperwire.papers.trending``, the function the trending
page uses), then the period's new papers on each topic (``topic_matches``, through
``paperwire.search.service``) and each category, leaving out every paper already sent to this
subscriber (``digest_items``). A topic lists only papers that pass its relevance threshold, and says
"nothing new on X" when none does; a topic whose search fails is tried again, then named in the
digest, logged and shown on ``/healthz``. A period with nothing new says why instead of arriving empty.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from paperwire import problems
from paperwire.community import follows
from paperwire.config import Settings
from paperwire.db.models import DailyEntry, DigestItem, Paper, Subscription
from paperwire.errors import PaperwireError, UsageError
from paperwire.papers import arxiv_calendar
from paperwire.papers.readmodel import PaperView, load_papers
from paperwire.papers.trending import trending
from paperwire.recommend.feed import rank_for
from paperwire.search import service
from paperwire.search.query import parse_query

log = logging.getLogger(__name__)

TRENDING_LIMIT = 10
TOPIC_LIMIT = 5
CATEGORY_LIMIT = 10
# A paper is on a topic when it holds the topic as an exact phrase (in its title or abstract) with a
# strength of at least this: its BM25 score (keyword index, title weighted 3) over the phrase's IDF
# in the index, i.e. the saturated term frequency, between 0 and 2.2 whatever the index's size (one
# mention in a long abstract is about 0.6-1, the phrase in the title about 1.6). Chosen by
# bench/topic_threshold.py on 1,560 Hugging Face daily papers labelled by their ai_keywords (66
# topics): precision 0.27 and recall 0.82 against 0.10 and 0.84 for the old rule (any word of the
# topic); 0.57 and 0.72 when a longer keyword holding the topic counts too. Higher strengths, raw
# BM25 cuts and meaning-based similarity (alone, or required as well) did not do better on both
# labellings, or needed embeddings that new papers do not have yet: see bench/README.md.
TOPIC_MIN_STRENGTH = 0.6
# A topic whose search fails is tried this many times in all, after these pauses (seconds).
TOPIC_RETRY_DELAYS = (0.5, 2.0)
TOPIC_PROBLEM = "digest-topics"
# HTML is escaped; the plain-text part is text, so escaping it would show entities to the reader.
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"], default_for_string=False, default=False),
    trim_blocks=True,
)


@dataclass(frozen=True)
class DigestPeriod:
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


def period_for(frequency: str, day: date) -> DigestPeriod:
    """The period of ``frequency`` containing ``day``."""
    if frequency == "daily":
        return DigestPeriod("daily", day, day + timedelta(days=1))
    if frequency == "weekly":
        monday = day - timedelta(days=day.weekday())
        return DigestPeriod("weekly", monday, monday + timedelta(days=7))
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
    """Papers under a title; ``note`` says why a topic section has none ("nothing new on X")."""

    title: str
    papers: list[DigestPaper]
    note: str | None = None


@dataclass
class Digest:
    subscription_id: int
    email: str
    period: DigestPeriod
    sections: list[Section] = field(default_factory=list)
    empty_reason: str | None = None

    @property
    def paper_ids(self) -> list[str]:
        return [p.id for s in self.sections for p in s.papers]

    @property
    def is_empty(self) -> bool:
        return not self.paper_ids


def _paper(settings: Settings, view: PaperView) -> DigestPaper:
    """A paper as a digest shows it: a renderer of the read model's view."""
    names = view.authors
    authors = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return DigestPaper(
        id=view.id,
        title=" ".join(view.title.split()),
        authors=authors,
        summary=view.summary,
        votes=view.upvotes,
        url=f"{settings.base_url}/papers/{view.id}",
        arxiv_url=view.links.abs,
    )


class TopicUnavailable(Exception):
    """A topic's search failed even after retries (kept inside this module: ``compose`` turns it
    into a note in the digest)."""

    def __init__(self, topic: str, error: str) -> None:
        super().__init__(f"{topic}: {error}")
        self.topic = topic
        self.error = error


def phrase_query(topic: str) -> str:
    """The topic as one exact phrase, unless it already uses the query syntax (quotes, fields,
    exclusions, ``cat:``), which is then kept as typed."""
    parsed = parse_query(topic)
    plain = not (
        parsed.required
        or parsed.excluded
        or parsed.categories
        or parsed.excluded_categories
        or parsed.ids
        or '"' in topic
    )
    return '"' + " ".join(topic.split()) + '"' if plain else topic


def topic_strengths(
    settings: Settings,
    engine: Engine,
    topic: str,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[tuple[str, float]]:
    """Papers (published in the dates) holding ``topic`` as an exact phrase (``phrase_query``),
    with their BM25 score over the phrase's IDF, best first (see ``TOPIC_MIN_STRENGTH``)."""
    query = phrase_query(topic)
    # FTS5's BM25 weighs a phrase by log((N - n + 0.5) / (n + 0.5)) over the whole index; the
    # search counts at most MAX_RESULTS matches, which only makes a very common phrase stricter.
    everywhere = service.search(settings, engine, query, mode="lexical", limit=1, snippets=False)
    size = service.get_searcher(settings).lexical.size()
    idf = max(1e-6, math.log((size - everywhere.total + 0.5) / (everywhere.total + 0.5)))
    found = service.search(
        settings,
        engine,
        query,
        mode="lexical",
        limit=service.MAX_LIMIT,
        date_from=date_from,
        date_to=date_to,
        snippets=False,
    )
    return [(r.id, r.score / idf) for r in found.results]


def topic_matches(
    settings: Settings, engine: Engine, topic: str, date_from: date, date_to: date
) -> list[str]:
    """Papers published in the dates that are on ``topic``, best first: those whose strength
    (``topic_strengths``) is at least ``TOPIC_MIN_STRENGTH``."""
    return [
        pid
        for pid, strength in topic_strengths(settings, engine, topic, date_from, date_to)
        if strength >= TOPIC_MIN_STRENGTH
    ]


class PeriodContent:
    """What every subscriber's digest of one period draws on, computed once per send run."""

    def __init__(self, settings: Settings, engine: Engine, period: DigestPeriod) -> None:
        self.settings = settings
        self.engine = engine
        self.period = period
        start = datetime.combine(period.start, time())
        end = datetime.combine(period.end, time())
        with Session(engine) as session:
            ranked = trending(session, now=end, window=end - start, limit=TRENDING_LIMIT)
            trending_ids = [t.card.id for t in ranked]
            period_ids = list(
                session.scalars(
                    select(Paper.id)
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
                )
            )
            known = set(period_ids)
            extra = [pid for pid in trending_ids if pid not in known]
            views = load_papers(session, period_ids + extra)
        self.papers = {view.id: _paper(settings, view) for view in views}
        self.categories = {view.id: {*view.categories, view.primary_category} for view in views}
        self.trending_ids = trending_ids
        self.new_ids = sorted(
            (pid for pid in period_ids if pid in self.papers),
            key=lambda pid: -self.papers[pid].votes,
        )
        self._topics: dict[str, list[str]] = {}
        self._topic_errors: dict[str, str] = {}

    def topic(self, query: str) -> list[str]:
        """This period's new papers on ``query``, best first (searched once per run).

        A failing search is tried again after ``TOPIC_RETRY_DELAYS``; if it still fails it raises
        ``TopicUnavailable``, remembered for the rest of the run so every subscriber of the topic is
        told, and recorded as a problem for ``/healthz``."""
        if query in self._topic_errors:
            raise TopicUnavailable(query, self._topic_errors[query])
        if query not in self._topics:
            start = self.period.start - timedelta(days=7)
            for attempt, delay in enumerate((*TOPIC_RETRY_DELAYS, None), start=1):
                try:
                    found = topic_matches(self.settings, self.engine, query, start, self.period.end)
                    break
                except (PaperwireError, OSError, sqlite3.Error) as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "digest %s: searching topic %r failed (attempt %d): %s",
                        self.period.key,
                        query,
                        attempt,
                        error,
                    )
                    if delay is None:
                        self._topic_errors[query] = error
                        problems.record(
                            self.settings,
                            TOPIC_PROBLEM,
                            # Public on /healthz: no subscriber's topic, no paths.
                            f"a topic of the {self.period.key} digests could not be searched"
                            f" ({type(exc).__name__}, see the log); its section says so",
                        )
                        raise TopicUnavailable(query, error) from exc
                    clock.sleep(delay)
            self._topics[query] = [pid for pid in found if pid in self.papers]
            if not self._topic_errors:
                problems.clear(self.settings, TOPIC_PROBLEM)
        return self._topics[query]

    def category(self, name: str) -> list[str]:
        return [pid for pid in self.new_ids if name in self.categories[pid]]

    def empty_reason(self) -> str:
        if self.period.frequency == "daily" and self.period.start.weekday() >= 5:
            return (
                "arXiv makes no announcements on Saturdays and Sundays, so there are no new papers "
                "today. Your next digest will have Monday's papers."
            )
        holiday = arxiv_calendar.no_list_reason(self.period.start)
        if self.period.frequency == "daily" and holiday:
            return f"{holiday} Your next digest will have the papers of arXiv's next announcement."
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


FOLLOWED = "From authors you follow"


def followed_authors(session: Session, sub: Subscription, ids: list[str]) -> list[str]:
    """The period's papers (in ``ids`` order) by authors the subscription's member follows."""
    if sub.user_id is None:
        return []
    slugs = [f.value for f in follows.followed(session, sub.user_id) if f.kind == "author"]
    found = follows.author_paper_ids(session, slugs, ids)
    return [pid for pid in ids if pid in found]


def compose(session: Session, content: PeriodContent, sub: Subscription) -> Digest:
    """The digest of ``content.period`` for ``sub``: papers by authors its member follows, trending,
    for you (a member's own ranking),
    then topics, then categories.

    A topic with no paper over its threshold gets a section saying "nothing new on" it; a topic
    whose search failed gets one saying so (and the failure is logged with the subscription id)."""
    digest = Digest(subscription_id=sub.id, email=sub.email, period=content.period)
    notes: dict[str, str] = {}
    topics: dict[str, list[str]] = {}
    for topic in sub.topics or []:
        title = f"New on “{topic}”"
        try:
            topics[title] = content.topic(topic)[:50]
            notes[title] = f"Nothing new on “{topic}” in this period."
        except TopicUnavailable as exc:
            log.warning(
                "digest %s for subscription %s: topic %r left out: %s",
                content.period.key,
                sub.id,
                topic,
                exc.error,
            )
            topics[title] = []
            notes[title] = (
                f"Papers on “{topic}” could not be searched for this digest because of a fault"
                " on the site; its operators have been told."
            )
    for_you: dict[str, list[str]] = {}
    if sub.user_id is not None:  # a member's digest starts with their own ranking (recommend/)
        for_you["For you"] = rank_for(
            content.settings, session, sub.user_id, content.new_ids, TOPIC_LIMIT
        )
    candidates = {
        FOLLOWED: followed_authors(session, sub, content.new_ids),
        "Trending": content.trending_ids[:TRENDING_LIMIT],
        **for_you,
        **topics,
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
        elif title in notes:
            digest.sections.append(Section(title, [], note=notes[title]))
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
