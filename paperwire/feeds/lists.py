"""The lists that feeds and exports serve, by name: the daily list (latest lists, or a date, week
or month), trending, a search, a public collection. Each is a title, the page it mirrors and its papers, all from the
same service functions the pages and the API use."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.community import collections
from paperwire.config import Settings
from paperwire.papers.listing import daily_papers, parse_period
from paperwire.papers.readmodel import PaperView
from paperwire.papers.trending import trending
from paperwire.search import service

FEED_SIZE = 100
SEARCH_SIZE = 50


@dataclass(frozen=True)
class PaperList:
    title: str
    subtitle: str
    page_path: str
    items: list[PaperView]


def daily(
    session: Session,
    settings: Settings,
    day: str | None = None,
    week: str | None = None,
    month: str | None = None,
) -> PaperList:
    """The papers of the latest daily lists, or of one date, ISO week or month."""
    period = parse_period(day, week, month)
    items = daily_papers(session, period=period, limit=FEED_SIZE)
    if day:
        named, path = f"of {day}", f"/papers/date/{day}"
    elif week:
        named, path = f"of week {week}", f"/papers/week/{week}"
    elif month:
        named, path = f"of {month}", f"/papers/month/{month}"
    else:
        named, path = "", "/"
    return PaperList(
        title=f"{settings.community} Daily Papers {named}".strip(),
        subtitle="New papers as they enter the daily list, most upvoted first within a day",
        page_path=path,
        items=items,
    )


def trending_list(session: Session, settings: Settings) -> PaperList:
    """The trending papers, highest score first."""
    ranked = trending(session, limit=FEED_SIZE)
    return PaperList(
        title=f"{settings.community} trending papers",
        subtitle="Papers of the last week ranked by upvotes and age",
        page_path="/papers/trending",
        items=[item.card for item in ranked],
    )


def search_list(
    session: Session, settings: Settings, engine: Engine, q: str, sort: str = "relevance"
) -> PaperList:
    """The best matches of a search (or the newest, with ``sort="date"``)."""
    page = service.search(settings, engine, q, sort=sort, limit=SEARCH_SIZE, snippets=False)
    query = {"q": q, **({"sort": sort} if sort != "relevance" else {})}
    return PaperList(
        title=f"{settings.community} papers matching “{q}”",
        subtitle=f"Search results for {q}",
        page_path="/search?" + urlencode(query),
        items=[result.paper for result in page.results],
    )


def collection_list(session: Session, settings: Settings, username: str, slug: str) -> PaperList:
    """A public collection's papers, newest addition first (a private one is not found)."""
    page = collections.collection_page(session, username, slug, None)
    summary = page.summary
    return PaperList(
        title=f"{summary.name} · a collection by {summary.owner}",
        subtitle=summary.description or f"Papers {summary.owner} keeps in {summary.name}",
        page_path=f"/collections/{summary.owner}/{summary.slug}",
        items=page.papers,
    )
