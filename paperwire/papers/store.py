"""Idempotent upserts of papers and daily-list entries, in batches that each commit on their own.

Merging rules (two versions or two sources of one paper are one paper):
- a record with a newer arXiv version replaces the content fields it carries;
- otherwise a record only fills fields the stored paper lacks;
- links, sources and extras are unions; the first-published time is the earliest seen, the
  last-updated time the latest; the imported upvote baseline is the highest seen;
- a paper joins at most one daily list, the earliest date any source put it in.
Re-ingesting the same input leaves every row (and its content hash) as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from operator import itemgetter
from typing import Any, cast

import orjson
from sqlalchemy import JSON, Boolean, DateTime, Table, insert, select, update
from sqlalchemy.orm import Session

from paperwire.db.models import DailyEntry, Paper
from paperwire.papers.records import PaperRecord, content_hash, now_utc

_REPLACEABLE = (
    "title",
    "abstract",
    "authors",
    "categories",
    "primary_category",
    "doi",
    "journal_ref",
    "comments",
)
_COLUMNS = [c.key for c in Paper.__table__.columns]
_PAPERS = cast(Table, Paper.__table__)
_ENTRIES = cast(Table, DailyEntry.__table__)


@dataclass
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    added_ids: list[str] = field(default_factory=list)

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def _record_row(rec: PaperRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "arxiv_id": rec.arxiv_id,
        "version": rec.version,
        "title": rec.title,
        "abstract": rec.abstract,
        "authors": list(rec.authors),
        "primary_category": rec.primary_category,
        "categories": list(rec.categories),
        "published_at": rec.published_at,
        "updated_at": rec.updated_at,
        "doi": rec.doi,
        "journal_ref": rec.journal_ref,
        "comments": rec.comments,
        "links": list(rec.links),
        "extras": {k: v for k, v in rec.extras.items() if v not in (None, "", [])},
        "sources": [rec.source],
        "upvotes_baseline": rec.upvotes_baseline or 0,
    }


def _union(first: list[Any], second: list[Any], key: Any = None) -> list[Any]:
    out = list(first)
    seen = {key(x) if key else repr(x) for x in out}
    for item in second:
        k = key(item) if key else repr(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _link_key(link: dict[str, str]) -> str:
    return link["url"].lower().rstrip("/").removesuffix(".git")


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The stored row after ``new`` (a record's row) is merged into ``old`` (a stored row)."""
    merged = dict(old)
    newer = new["version"] is not None and (
        old["version"] is None or new["version"] > old["version"]
    )
    for key in _REPLACEABLE:
        if new[key] and (newer or not old[key]):
            merged[key] = new[key]
    if new["version"] is not None:
        merged["version"] = max(old["version"] or 0, new["version"])
    merged["arxiv_id"] = old["arxiv_id"] or new["arxiv_id"]
    times = [t for t in (old["published_at"], new["published_at"]) if t is not None]
    merged["published_at"] = min(times) if times else None
    times = [t for t in (old["updated_at"], new["updated_at"]) if t is not None]
    merged["updated_at"] = max(times) if times else None
    merged["links"] = _union(old["links"] or [], new["links"], key=_link_key)
    merged["extras"] = {**(old["extras"] or {}), **new["extras"]}
    merged["sources"] = _union(old["sources"] or [], new["sources"])
    merged["upvotes_baseline"] = max(old["upvotes_baseline"] or 0, new["upvotes_baseline"] or 0)
    return merged


def _entry_row(rec: PaperRecord, when: datetime) -> dict[str, Any] | None:
    if rec.entry is None:
        return None
    e = rec.entry
    submitted = e.submitted_at
    if submitted is None:
        # An entry imported into a past list did not arrive now: trending would count it as
        # brand new. The start of its list's day is the closest honest time.
        submitted = when if e.list_date >= when.date() else datetime.combine(e.list_date, time())
    return {
        "paper_id": rec.id,
        "list_date": e.list_date,
        "submitted_at": submitted,
        "submitted_by_id": e.submitted_by_id,
        "submitter_name": e.submitter_name,
        "submitter_info": e.submitter_info,
        "source": e.source,
        "imported_comments": e.imported_comments,
    }


def upsert_papers(session: Session, records: Iterable[PaperRecord]) -> UpsertResult:
    """Merge ``records`` into the database within the caller's transaction; counts per paper."""
    rows: dict[str, dict[str, Any]] = {}
    entries: dict[str, dict[str, Any]] = {}
    when = now_utc()
    for rec in records:
        row = _record_row(rec)
        rows[rec.id] = merge(rows[rec.id], row) if rec.id in rows else row
        entry = _entry_row(rec, when)
        if entry is not None and (
            rec.id not in entries or entry["list_date"] < entries[rec.id]["list_date"]
        ):
            entries[rec.id] = entry
    result = UpsertResult()
    if not rows:
        return result
    ids = list(rows)
    existing = {
        r["id"]: dict(r)
        for r in session.execute(select(Paper.__table__).where(Paper.id.in_(ids))).mappings()
    }
    entry_changed = _upsert_entries(session, entries)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for pid, row in rows.items():
        old = existing.get(pid)
        if old is None:
            row.update(vote_count=0, hidden=False, created_at=when, modified_at=when)
            row["content_hash"] = content_hash(row)
            inserts.append(row)
            continue
        merged = merge(old, row)
        merged["content_hash"] = content_hash(merged)
        if merged["content_hash"] != old["content_hash"]:
            merged["modified_at"] = when
            updates.append({k: merged[k] for k in _COLUMNS})
            result.updated += 1
        elif pid in entry_changed:
            result.updated += 1
        else:
            result.unchanged += 1
    if inserts:
        _insert_papers(session, inserts)
        result.added = len(inserts)
        result.added_ids = [r["id"] for r in inserts]
    if updates:
        session.execute(update(Paper), updates)
    _insert_entries(session, entries, entry_changed)
    return result


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format, so reads and comparisons see one form.
    return value.isoformat(" ", "microseconds")


def _converter(column: Any) -> Callable[[Any], Any] | None:
    if isinstance(column.type, JSON):
        return _json_text
    if isinstance(column.type, DateTime):
        return _sqlite_datetime
    if isinstance(column.type, Boolean):
        return int
    return None


_PAPER_KEYS = [c.key for c in _PAPERS.columns]
_PAPER_VALUES = itemgetter(*_PAPER_KEYS)
_PAPER_CONVERTERS = [
    (i, convert) for i, c in enumerate(_PAPERS.columns) if (convert := _converter(c)) is not None
]
_SQLITE_INSERT = (
    f"INSERT INTO papers ({', '.join(_PAPER_KEYS)}) VALUES ({', '.join('?' for _ in _PAPER_KEYS)})"
)


def _sqlite_params(row: dict[str, Any]) -> tuple[Any, ...]:
    values = list(_PAPER_VALUES(row))
    for i, convert in _PAPER_CONVERTERS:
        if values[i] is not None:
            values[i] = convert(values[i])
    return tuple(values)


def _insert_papers(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new paper rows. On SQLite the values are turned into the driver's own types here,
    which halves the cost of a bulk insert compared with SQLAlchemy's per-value processing."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(insert(_PAPERS), rows)
        return
    conn.exec_driver_sql(_SQLITE_INSERT, [_sqlite_params(row) for row in rows])


def _upsert_entries(session: Session, entries: dict[str, dict[str, Any]]) -> set[str]:
    """Decide which daily-list entries are new or move earlier; returns their paper ids."""
    if not entries:
        return set()
    stored = dict(
        session.execute(
            select(DailyEntry.paper_id, DailyEntry.list_date).where(
                DailyEntry.paper_id.in_(list(entries))
            )
        ).all()
    )
    changed = set()
    for pid, entry in entries.items():
        old_date = stored.get(pid)
        if old_date is None:
            entry["_new"] = True
            changed.add(pid)
        elif entry["list_date"] < old_date:
            entry["_new"] = False
            changed.add(pid)
    return changed


def _insert_entries(
    session: Session, entries: dict[str, dict[str, Any]], changed: set[str]
) -> None:
    # Papers must exist before their entries (foreign key), so this runs after the paper inserts.
    new_rows = [
        {k: v for k, v in entries[pid].items() if k != "_new"}
        for pid in changed
        if entries[pid].get("_new")
    ]
    moved = [
        {k: v for k, v in entries[pid].items() if k != "_new"}
        for pid in changed
        if not entries[pid].get("_new")
    ]
    if new_rows:
        session.execute(insert(_ENTRIES), new_rows)
    if moved:
        session.execute(update(DailyEntry), moved)
