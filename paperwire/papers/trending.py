"""Trending: one documented score from votes and age, used by the trending page, the API and digests.

score = upvotes / (hours since the paper entered its daily list + 2) ** 1.5

where upvotes is the imported baseline plus members' votes. The +2 keeps a brand-new paper from dividing
by almost zero; the exponent makes a day-old paper need about 3x the votes of a fresh one to rank level.
Only papers that entered a daily list within the window (default 7 days before ``now``) are ranked.
When nothing was submitted in that window (an archive, or the demo), the window ends at the last
submission instead, so the page shows the last active week rather than nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire.db.models import DailyEntry, Paper
from paperwire.papers.readmodel import UPVOTES, PaperView, load_papers
from paperwire.papers.records import now_utc

GRAVITY = 1.5
OFFSET_HOURS = 2.0
DEFAULT_WINDOW = timedelta(days=7)
EXPLANATION = (
    "Trending ranks the papers of the last 7 days by upvotes divided by (hours since they were "
    "submitted + 2) to the power 1.5, so fresh papers rise quickly and older ones need more votes."
)


def trending_score(upvotes: int, submitted_at: datetime, now: datetime) -> float:
    """The trending score of one paper at time ``now``."""
    hours = max(0.0, (now - submitted_at).total_seconds() / 3600)
    return upvotes / (hours + OFFSET_HOURS) ** GRAVITY


@dataclass(frozen=True)
class TrendingCard:
    card: PaperView
    score: float


def trending(
    session: Session,
    *,
    now: datetime | None = None,
    window: timedelta = DEFAULT_WINDOW,
    limit: int = 50,
    offset: int = 0,
) -> list[TrendingCard]:
    """Visible papers submitted in ``(now - window, now]``, highest trending score first."""
    if now is None:
        now = now_utc()
        latest = session.scalar(select(func.max(DailyEntry.submitted_at)))
        if latest is not None and latest <= now - window:
            now = latest
    # Scores need only votes and times; the cards of the page are read afterwards by id.
    rows = session.execute(
        select(Paper.id, DailyEntry.submitted_at, UPVOTES)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .where(
            Paper.hidden.is_(False),
            DailyEntry.submitted_at > now - window,
            DailyEntry.submitted_at <= now,
        )
    ).all()
    scored = sorted(
        (
            (trending_score(upvotes or 0, submitted_at, now), paper_id, upvotes or 0)
            for paper_id, submitted_at, upvotes in rows
        ),
        key=lambda item: (-item[0], -item[2], item[1]),
    )[offset : offset + limit]
    cards = {view.id: view for view in load_papers(session, [pid for _, pid, _ in scored])}
    return [
        TrendingCard(card=cards[paper_id], score=score)
        for score, paper_id, _ in scored
        if paper_id in cards
    ]
