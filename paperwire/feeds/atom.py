"""One Atom document for any list of papers, built with feedgen.

An entry's id is the paper's page, its ``updated`` the time the paper entered its daily list (or
was last changed), so the same list gives the same bytes and conditional GET can answer 304.

Every string goes through ``_text``: a character XML 1.0 cannot hold (stored before ingest screened
for them, or arriving in a search query) is dropped, so no stored paper can break a feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from paperwire.papers.readmodel import PaperView
from paperwire.papers.records import storable_text

EPOCH = datetime(2000, 1, 1)


@dataclass(frozen=True)
class FeedInfo:
    """What a feed is: its title, its own address and the page it mirrors."""

    title: str
    subtitle: str
    feed_url: str
    page_url: str


def _text(value: str) -> str:
    """One line of XML-safe text."""
    return " ".join(storable_text(value).split())


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def entry_updated(item: PaperView) -> datetime:
    """When the item last changed as far as a feed reader cares."""
    times = [t for t in (item.modified_at, item.entry and item.entry.submitted_at) if t]
    return max(times) if times else EPOCH


def last_modified(items: Sequence[PaperView]) -> datetime:
    """The newest change among ``items`` (the feed's ``updated`` and ``Last-Modified``)."""
    return max((entry_updated(item) for item in items), default=EPOCH)


def atom_feed(info: FeedInfo, items: Sequence[PaperView], base_url: str) -> bytes:
    """The Atom document of ``items`` in their order."""
    feed = FeedGenerator()
    feed.id(_text(info.feed_url))
    feed.title(_text(info.title))
    feed.subtitle(_text(info.subtitle))
    feed.link(href=_text(info.page_url), rel="alternate", type="text/html")
    feed.link(href=_text(info.feed_url), rel="self", type="application/atom+xml")
    feed.updated(_utc(last_modified(items)))
    feed.generator("paperwire")
    # feedgen prepends entries; adding in reverse keeps the list's order.
    for paper in reversed(items):
        page = _text(f"{base_url}/papers/{paper.id}")
        entry = feed.add_entry()
        entry.id(page)
        title = _text(paper.title)
        entry.title(title)
        # One link only: feedgen 1.0 writes entry links without their rel, so a second one
        # (arXiv) would become the entry's alternate in readers.
        entry.link(href=page, rel="alternate", type="text/html")
        for name in paper.authors:
            entry.author({"name": _text(name)})
        entry.summary(_text(paper.abstract) or title)
        if paper.published_at:
            entry.published(_utc(paper.published_at))
        entry.updated(_utc(entry_updated(paper)))
        for category in paper.categories:
            entry.category(term=_text(str(category)))
    body: bytes = feed.atom_str(pretty=True)
    return body
