"""The "For you" feed: the papers of a day, week or month ranked for one member, each with a reason.

``for_you`` is the one function the page, the API and the private Atom feed call (the digest calls
``rank_for``, which ranks the same way). It reads the period's papers as ids (the daily lists' own
order is the fallback), the member's signals (``signals.collect``), their vectors (``vectors``),
ranks with ``model.rank`` and loads the papers through the read model. Nothing is precomputed, so a
new signal shows in the next request. The member's own picks (papers they upvoted or keep in a
collection) are never recommended back to them: ``Feed.picks`` holds those of the period apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperwire.community import notes
from paperwire.config import Settings
from paperwire.db.models import Collection, CollectionItem, DailyEntry, Paper, User, Vote
from paperwire.papers.daily import RANK, latest_list_date
from paperwire.papers.periods import in_range, period_of
from paperwire.papers.readmodel import PaperView, load_papers
from paperwire.papers.records import now_utc
from paperwire.recommend.model import Exemplar, rank
from paperwire.recommend.signals import NOT_INTERESTED, SignalItem, collect
from paperwire.recommend.vectors import paper_vectors, text_vectors

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
MAX_LIMIT = 200
MAX_CANDIDATES = 20_000
# The reading budget: how many papers the page offers first ("top 10 for you today").
BUDGET = 10


@dataclass(frozen=True)
class FeedItem:
    paper: PaperView
    score: float | None
    reason: str


@dataclass(frozen=True)
class Feed:
    period: Period
    start: date | None
    end: date | None
    items: list[FeedItem]
    signals: int  # how many signals the ranking used
    note: str | None = None
    # The member's own picks of the period (upvoted or collected), left out of ``items``.
    picks: list[PaperView] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.start is None or self.end is None:
            return "No papers yet"
        if self.period == "day":
            return f"{self.start:%A %-d %B %Y}"
        if self.period == "week":
            return period_of("week", self.start).title
        return period_of("month", self.start).title


def period_span(period: Period, day: date) -> tuple[date, date]:
    """The first and last dates of the ``period`` holding ``day``."""
    if period == "day":
        return day, day
    span = period_of(period, in_range(day))
    return span.start, span.end


def _candidates(session: Session, start: date, end: date) -> list[str]:
    rows = session.scalars(
        select(Paper.id)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(DailyEntry.list_date.between(start, end), Paper.hidden.is_(False))
        .order_by(*RANK)
        .limit(MAX_CANDIDATES)
    )
    return list(rows)


def own_picks(session: Session, user_id: int, ids: list[str]) -> set[str]:
    """Those of ``ids`` the member upvoted or keeps in one of their collections: theirs already,
    so never recommended back to them (a muted upvote is still their upvote)."""
    if not ids:
        return set()
    # A member's own picks are few next to a month's candidates: read them all, no long IN list.
    voted = select(Vote.paper_id).where(Vote.user_id == user_id)
    kept = (
        select(CollectionItem.paper_id)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .where(Collection.owner_id == user_id)
    )
    return set(session.scalars(voted.union(kept))) & set(ids)


def exemplars(
    settings: Settings, session: Session, items: list[SignalItem]
) -> tuple[list[Exemplar], list[Exemplar]]:
    """The member's signals as positive and negative exemplars (those with a vector)."""
    paper_ids = [i.paper_id for i in items if i.paper_id]
    found, matrix = paper_vectors(settings, session, paper_ids)
    by_paper = {pid: matrix[n] for n, pid in enumerate(found)}
    dim = matrix.shape[1] if matrix.size else None
    texts: list[tuple[SignalItem, np.ndarray | None]] = []
    to_embed = []
    for item in items:
        if item.paper_id is None and item.text:
            stored = item.embedding or {}
            vector = stored.get("vector")
            if vector is not None and (dim is None or len(vector) == dim):
                texts.append((item, np.asarray(vector, dtype=np.float32)))
            else:
                texts.append((item, None))
                to_embed.append(item.text)
    embedded = text_vectors(settings, to_embed) if to_embed else None
    text_vector: dict[str, np.ndarray] = {}
    next_row = 0
    for item, vector in texts:
        if vector is None:
            if embedded is None:
                continue
            vector = embedded[next_row]
            next_row += 1
        text_vector[item.key] = vector
    positives: list[Exemplar] = []
    negatives: list[Exemplar] = []
    for item in items:
        vec = by_paper.get(item.paper_id) if item.paper_id else text_vector.get(item.key)
        if vec is None:
            continue
        norm = float(np.linalg.norm(vec))
        if norm == 0:
            continue
        exemplar = Exemplar(vec / norm, item.weight, item.at, item.reason)
        (positives if item.positive else negatives).append(exemplar)
    return positives, negatives


def rank_for(
    settings: Settings, session: Session, user_id: int, ids: list[str], limit: int
) -> list[str]:
    """``ids`` ranked for the member, best first, at most ``limit`` (their "not interested" and
    their own picks left out); empty when they give no signal paperwire can use (the digest's "For
    you" section)."""
    items = collect(session, user_id)
    dismissed = {i.paper_id for i in items if i.kind == NOT_INTERESTED}
    dismissed |= own_picks(session, user_id, ids)
    positives, negatives = exemplars(settings, session, items)
    found, matrix = paper_vectors(settings, session, [p for p in ids if p not in dismissed])
    if not positives or not found:
        return []
    scores = rank(matrix, positives, negatives, now=now_utc()).scores
    return [found[i] for i in np.argsort(-scores, kind="stable")[:limit]]


def for_you(
    settings: Settings,
    session: Session,
    user: User,
    *,
    period: Period = "day",
    day: date | None = None,
    limit: int = 50,
    now: datetime | None = None,
    hide_read: bool = False,
) -> Feed:
    """The papers of the ``period`` holding ``day`` (default: the latest date with papers),
    ranked for ``user``, best first, at most ``limit`` (``hide_read``: less the papers they marked
    read)."""
    limit = max(1, min(limit, MAX_LIMIT))
    day = day or latest_list_date(session)
    if day is None:
        return Feed(period, None, None, [], 0, "there are no papers yet")
    start, end = period_span(period, day)
    items = collect(session, user.id)
    dismissed = {i.paper_id for i in items if i.kind == NOT_INTERESTED}
    candidates = _candidates(session, start, end)
    if hide_read:
        dismissed |= notes.read_among(session, user.id, candidates)
    mine = own_picks(session, user.id, candidates)
    ids = [pid for pid in candidates if pid not in dismissed and pid not in mine]
    positives, negatives = exemplars(settings, session, items)
    found, matrix = paper_vectors(settings, session, ids)
    scored: list[tuple[str, float | None, str | None]] = []
    if positives and found:
        ranking = rank(matrix, positives, negatives, now=now or now_utc())
        order = np.argsort(-ranking.scores, kind="stable")
        scored = [(found[i], float(ranking.scores[i]), ranking.reasons[i]) for i in order]
    ranked = {pid for pid, _, _ in scored}
    scored += [(pid, None, None) for pid in ids if pid not in ranked]
    scored = scored[:limit]
    picks = [pid for pid in candidates if pid in mine and (not hide_read or pid not in dismissed)]
    loaded = load_papers(session, [p for p, _, _ in scored] + picks, viewer_id=user.id)
    views = {v.id: v for v in loaded}
    feed_items = [
        FeedItem(views[pid], score, reason or _fallback(views[pid], bool(positives)))
        for pid, score, reason in scored
        if pid in views
    ]
    note = None
    if not positives:
        note = (
            "paperwire knows nothing you like yet: pick a few topics, upvote papers or import"
            " your library, and this list is ranked for you"
        )
    return Feed(
        period,
        start,
        end,
        feed_items,
        len(positives) + len(negatives),
        note,
        [views[pid] for pid in picks if pid in views],
    )


def _fallback(view: PaperView, has_signals: bool) -> str:
    if has_signals:
        return f"not embedded yet; {view.upvotes} upvotes"
    return f"popular: {view.upvotes} upvotes"
