"""The ingest-neutral description of a paper, and the text clean-up every source shares."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n[ \t]+")


def clean_line(text: str | None) -> str:
    """Collapse all white space (arXiv wraps titles and author lists) into single spaces."""
    # str.split() splits at exactly the characters \s matches, several times faster than re.sub.
    return " ".join((text or "").split())


def clean_abstract(text: str | None) -> str:
    """Join arXiv's hard-wrapped lines but keep its paragraph breaks (a blank or indented line)."""
    stripped = (text or "").strip()
    if not stripped:
        return ""
    paragraphs = (clean_line(p) for p in _PARAGRAPH_BREAK.split(stripped))
    return "\n\n".join(p for p in paragraphs if p)


def utc_naive(value: datetime | None) -> datetime | None:
    """Store every time as naive UTC: SQLite has no time zones, and PostgreSQL must match it."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


def parse_time(text: str | None) -> datetime | None:
    """Parse ISO-8601 (``2024-03-07T18:59:52Z``, ``...+00:00``, ``2024-03-07``); None when empty."""
    if not text:
        return None
    raw = text.strip().replace("Z", "+00:00")
    try:
        return utc_naive(datetime.fromisoformat(raw))
    except ValueError:
        return None


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class EntryRecord:
    """A request to put the paper in the daily list of ``list_date``."""

    list_date: date
    source: str
    submitted_at: datetime | None = None
    submitter_name: str | None = None
    submitter_info: dict[str, Any] = field(default_factory=dict)
    submitted_by_id: int | None = None
    imported_comments: int = 0


@dataclass
class PaperRecord:
    """One paper as a source describes it; ``papers.store`` merges it into the database."""

    id: str
    title: str
    source: str
    arxiv_id: str | None = None
    version: int | None = None
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    upvotes_baseline: int | None = None
    entry: EntryRecord | None = None

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None


CONTENT_FIELDS = (
    "arxiv_id",
    "version",
    "title",
    "abstract",
    "authors",
    "primary_category",
    "categories",
    "published_at",
    "updated_at",
    "doi",
    "journal_ref",
    "comments",
    "links",
    "extras",
    "sources",
    "upvotes_baseline",
)


def content_hash(row: dict[str, Any]) -> str:
    """A fingerprint of the stored content, so re-ingesting the same input is recognised as unchanged."""
    payload = orjson.dumps(
        [row.get(k) for k in CONTENT_FIELDS],
        default=str,
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return hashlib.sha1(payload).hexdigest()
