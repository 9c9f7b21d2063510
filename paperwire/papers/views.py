"""What the list pages show around their papers (a day, a week or a month), and the small text
helpers of the read model. Nothing here touches the database; the papers themselves are
``papers.readmodel.PaperView``s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paperwire.papers.readmodel import PaperView

SUMMARY_CHARS = 300


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON-ready data: dates as ISO strings, dataclasses as dicts (through
    their own ``to_dict`` when they have one)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class _Serialisable:
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO strings)."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        return {f.name: jsonable(getattr(self, f.name)) for f in fields}


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
class DailyList(_Serialisable):
    """The daily list of one date, with the nearest dates either side that have papers."""

    day: date
    papers: list[PaperView]
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
    papers: list[PaperView]
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
