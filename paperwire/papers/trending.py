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

from paperwire.db.models import DailyEntry, Paper, User
from paperwire.papers.daily import UPVOTES, _card, _comment_counts
from paperwire.papers.records import now_utc
from paperwire.papers.views import PaperCard

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
    card: PaperCard
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
    rows = session.execute(
        select(Paper, DailyEntry, User.username, UPVOTES)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .outerjoin(User, User.id == DailyEntry.submitted_by_id)
        .where(
            Paper.hidden.is_(False),
            DailyEntry.submitted_at > now - window,
            DailyEntry.submitted_at <= now,
        )
    ).all()
    scored = sorted(
        (
            (trending_score(upvotes or 0, entry.submitted_at, now), paper, entry, username, upvotes)
            for paper, entry, username, upvotes in rows
        ),
        key=lambda item: (-item[0], -(item[4] or 0), item[1].id),
    )[offset : offset + limit]
    comments = _comment_counts(session, [item[1].id for item in scored])
    return [
        TrendingCard(
            card=_card(paper, entry, username, upvotes or 0, comments.get(paper.id, 0)),
            score=score,
        )
        for score, paper, entry, username, upvotes in scored
    ]
