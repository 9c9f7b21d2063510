"""What the daily-list and paper pages show, as plain dataclasses.

``papers.daily`` computes them once; the HTML templates render them and a JSON API can serialise the
same objects with ``to_dict``. Nothing here touches the database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

SUMMARY_CHARS = 300


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class _Serialisable:
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO strings)."""
        return {k: _jsonable(v) for k, v in dataclasses.asdict(self).items()}  # type: ignore[call-overload]


def summarise(abstract: str, limit: int = SUMMARY_CHARS) -> str:
    """The start of an abstract, cut at a word boundary and never inside a ``$...$`` formula."""
    # Only the start is needed; normalising a whole long abstract per card showed in profiles.
    head = abstract[: limit * 3]
    text = " ".join(head.split())
    if len(text) <= limit and len(head) < len(abstract):
        text = " ".join(abstract.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    # An odd number of dollars means the cut fell inside TeX; drop the half formula.
    if cut.count("$") % 2:
        cut = cut[: cut.rfind("$")].rstrip()
    return cut.rstrip(" ,;:") + "…"


def abstract_paragraphs(abstract: str) -> list[str]:
    """Paragraphs as stored (``records.clean_abstract`` keeps them separated by a blank line)."""
    return [p.strip() for p in abstract.split("\n\n") if p.strip()]


def author_names(authors: list[Any]) -> list[str]:
    """Author names whether a source stored plain strings or ``{"name": ...}`` objects."""
    names = []
    for author in authors or []:
        name = author.get("name") if isinstance(author, dict) else author
        if name:
            names.append(str(name))
    return names


@dataclass(frozen=True)
class Submitter:
    name: str
    fullname: str | None = None
    avatar_url: str | None = None


@dataclass(frozen=True)
class PaperCard(_Serialisable):
    """One paper in a list: enough to decide whether to open it."""

    id: str
    title: str
    summary: str
    author_count: int
    authors: list[str]
    published_at: datetime | None
    primary_category: str | None
    upvotes: int
    comment_count: int
    code_url: str | None
    project_url: str | None
    list_date: date | None
    submitter: Submitter | None
    code_stars: int | None = None


@dataclass(frozen=True)
class DailyList(_Serialisable):
    """The daily list of one date, with the nearest dates either side that have papers."""

    day: date
    papers: list[PaperCard]
    previous_day: date | None
    next_day: date | None
    total: int = 0
    page: int = 1
    pages: int = 1

    @property
    def is_empty(self) -> bool:
        return not self.papers and not self.total

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "is_empty": self.is_empty}


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class PeriodList(_Serialisable):
    """One page of a week's or a month's papers, the days in it that have papers, and the keys
    (``2026-W23``, ``2026-06``) of the nearest periods of the same kind that have papers."""

    kind: str
    key: str
    title: str
    span: str
    start: date
    end: date
    papers: list[PaperCard]
    days: list[DayCount]
    total: int
    page: int
    pages: int
    previous: str | None
    next: str | None


@dataclass(frozen=True)
class EntryInfo:
    """Which daily list a paper is in, and who put it there."""

    list_date: date
    submitted_at: datetime | None
    submitter: Submitter | None
    source: str


@dataclass(frozen=True)
class PaperDetail(_Serialisable):
    """Everything the paper page shows."""

    id: str
    arxiv_id: str | None
    version: int | None
    title: str
    abstract: list[str]
    authors: list[str]
    primary_category: str | None
    categories: list[str]
    published_at: datetime | None
    updated_at: datetime | None
    doi: str | None
    journal_ref: str | None
    comments: str | None
    abs_url: str | None
    pdf_url: str | None
    code_links: list[str]
    project_links: list[str]
    upvotes: int
    comment_count: int
    entry: EntryInfo | None
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    # ``comment_count`` adds the source's imported count (as the HF-compatible API reports it);
    # the page counts only the comments it lists and links to the source's own discussion.
    local_comments: int = 0
    imported_comments: int = 0
    source_discussion_url: str | None = None
