"""Listing rules: which harvested papers enter the daily list of the day they were announced.

A source with ``list = "all"`` makes every harvested paper a candidate, one with ``list = "match"``
those matching any of its ``match`` queries (the search syntax: words and "phrases" all present,
``-exclusions`` absent, ``cat:`` and ``id:`` filters, ``title:``/``abstract:``/``author:`` fields).
Candidates are kept in ``intake_candidates`` with a relevance score; each day the best
``max_per_day`` of them that are in no other daily list are listed, the source's name shown as the
submitter. The list of a day is recomputed from the stored candidates, so it does not depend on
how a harvest was split into batches (a killed and rerun harvest lists the same papers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from paperwire.db.models import DailyEntry, IntakeCandidate
from paperwire.intake.config import SourceConfig
from paperwire.papers.records import PaperRecord
from paperwire.search.query import Clause, ParsedQuery, words

ENTRY_SOURCE = "intake"


def _joined(text: str) -> str:
    return f" {' '.join(words(text))} "


def _count(haystack: str, phrase: str) -> int:
    return haystack.count(f" {phrase} ")


class _Texts:
    def __init__(self, record: PaperRecord) -> None:
        self.title = _joined(record.title)
        self.abstract = _joined(record.abstract)
        self.authors = _joined(" ; ".join(record.authors))
        self.all = self.title + self.abstract + self.authors

    def column(self, name: str | None) -> str:
        return {"title": self.title, "abstract": self.abstract, "authors": self.authors}.get(
            name or "", self.all
        )


def _category_hit(wanted: str, categories: list[str]) -> bool:
    return any(c == wanted or c.startswith(wanted + ".") for c in categories)


def _clause_hits(texts: _Texts, clause: Clause) -> int:
    return _count(texts.column(clause.column), clause.text)


def query_score(query: ParsedQuery, record: PaperRecord, texts: _Texts) -> float | None:
    """How well ``record`` matches ``query`` (title hits count double), or None when it does not."""
    categories = list(record.categories)
    if query.ids and record.id not in query.ids:
        return None
    if query.categories and not any(_category_hit(c, categories) for c in query.categories):
        return None
    if any(_category_hit(c, categories) for c in query.excluded_categories):
        return None
    if any(_clause_hits(texts, clause) for clause in query.excluded):
        return None
    score = 1.0
    for phrase in [*query.terms, *(c.text for c in query.required if c.column is None)]:
        hits = 2 * _count(texts.title, phrase) + _count(texts.abstract, phrase)
        if not hits and not _count(texts.authors, phrase):
            return None
        score += hits
    for clause in query.required:
        if clause.column is not None:
            hits = _clause_hits(texts, clause)
            if not hits:
                return None
            score += hits
    return score


def candidate_score(source: SourceConfig, record: PaperRecord) -> float | None:
    """The record's relevance under the source's rule, or None when it is not listed."""
    if source.list_rule == "all":
        return float(record.upvotes_baseline or 0)
    if source.list_rule != "match":
        return None
    texts = _Texts(record)
    scores = [s for q in source.queries if (s := query_score(q, record, texts)) is not None]
    return sum(scores) if scores else None


def add_candidates(
    session: Session, source: SourceConfig, candidates: Iterable[tuple[str, date, float]]
) -> set[date]:
    """Store new candidates (a paper keeps the first day it was announced on); returns the days to
    recompute."""
    wanted = {pid: (day, score) for pid, day, score in candidates}
    if not wanted:
        return set()
    stored = dict(
        session.execute(
            select(IntakeCandidate.paper_id, IntakeCandidate.list_date).where(
                IntakeCandidate.source == source.name, IntakeCandidate.paper_id.in_(list(wanted))
            )
        ).all()
    )
    fresh = {pid: value for pid, value in wanted.items() if pid not in stored}
    if fresh:
        session.execute(
            insert(IntakeCandidate),
            [
                {"source": source.name, "paper_id": pid, "list_date": day, "score": score}
                for pid, (day, score) in fresh.items()
            ],
        )
    return {day for day, _ in fresh.values()}


def relist_day(session: Session, source: SourceConfig, day: date) -> int:
    """Make the source's entries in ``day``'s list exactly its best candidates that no other list
    holds, at most ``max_per_day``; returns how many entries it added."""
    ranked = session.execute(
        select(IntakeCandidate.paper_id)
        .where(IntakeCandidate.source == source.name, IntakeCandidate.list_date == day)
        .order_by(IntakeCandidate.score.desc(), IntakeCandidate.paper_id)
    ).scalars()
    ranked_ids = list(ranked)
    entries = {
        row.paper_id: row
        for row in session.execute(
            select(
                DailyEntry.paper_id,
                DailyEntry.list_date,
                DailyEntry.source,
                DailyEntry.submitter_name,
            ).where(DailyEntry.paper_id.in_(ranked_ids))
        )
    }
    mine = {
        pid
        for pid, e in entries.items()
        if e.source == ENTRY_SOURCE and e.submitter_name == source.name and e.list_date == day
    }
    free = [pid for pid in ranked_ids if pid not in entries or pid in mine]
    chosen = free[: source.max_per_day] if source.max_per_day else free
    dropped = mine - set(chosen)
    if dropped:
        session.execute(delete(DailyEntry).where(DailyEntry.paper_id.in_(sorted(dropped))))
    new = [pid for pid in chosen if pid not in mine]
    if new:
        submitted = datetime.combine(day, time())
        session.execute(
            insert(DailyEntry),
            [
                {
                    "paper_id": pid,
                    "list_date": day,
                    "submitted_at": submitted,
                    "submitted_by_id": None,
                    "submitter_name": source.name,
                    "submitter_info": {"source": source.name, "kind": source.kind},
                    "source": ENTRY_SOURCE,
                    "imported_comments": 0,
                }
                for pid in new
            ],
        )
    return len(new)
