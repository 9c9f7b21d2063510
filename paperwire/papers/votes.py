"""Members' votes on papers: one per member per paper, with ``papers.vote_count`` kept equal to the
number of votes in the same transaction. Imported upvotes stay apart in ``upvotes_baseline``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from paperwire.db.models import Paper, Vote
from paperwire.errors import PaperNotFound
from paperwire.papers.records import now_utc, utc_naive


@dataclass(frozen=True)
class VoteResult:
    paper_id: str
    voted: bool  # whether the member's vote stands after the call
    changed: bool  # False when the call found things already as asked
    vote_count: int  # members' votes
    upvotes: int  # members' votes plus the imported baseline, as pages show it


def _lock_paper(session: Session, paper_id: str) -> None:
    # Locking the paper row (PostgreSQL; SQLite has one writer anyway) serialises concurrent votes
    # on one paper, so the recount below sees every committed vote.
    found = session.execute(
        select(Paper.id).where(Paper.id == paper_id, Paper.hidden.is_(False)).with_for_update()
    ).first()
    if found is None:
        raise PaperNotFound(f"no paper {paper_id!r}")


def _recount(session: Session, paper_id: str) -> None:
    count = select(func.count()).select_from(Vote).where(Vote.paper_id == paper_id)
    session.execute(
        update(Paper).where(Paper.id == paper_id).values(vote_count=count.scalar_subquery())
    )


def _result(session: Session, paper_id: str, voted: bool, changed: bool) -> VoteResult:
    count, baseline = session.execute(
        select(Paper.vote_count, Paper.upvotes_baseline).where(Paper.id == paper_id)
    ).one()
    return VoteResult(paper_id, voted, changed, count, count + (baseline or 0))


def _insert_ignoring_duplicate(session: Session, values: dict[str, Any]) -> bool:
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = (
        module.insert(Vote)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "paper_id"])
        .returning(Vote.paper_id)
    )
    # RETURNING, not rowcount: drivers disagree on the rowcount of a skipped insert.
    return session.execute(stmt).first() is not None


def cast_vote(
    session: Session, user_id: int, paper_id: str, *, at: datetime | None = None
) -> VoteResult:
    """Record the member's vote (idempotent: a second vote changes nothing), in the caller's
    transaction. Raises ``PaperNotFound`` for an unknown or hidden paper."""
    _lock_paper(session, paper_id)
    created = _insert_ignoring_duplicate(
        session,
        {"user_id": user_id, "paper_id": paper_id, "created_at": utc_naive(at) or now_utc()},
    )
    if created:
        _recount(session, paper_id)
    return _result(session, paper_id, voted=True, changed=created)


def retract_vote(session: Session, user_id: int, paper_id: str) -> VoteResult:
    """Take the member's vote back (idempotent: nothing happens when there is none)."""
    _lock_paper(session, paper_id)
    removed = session.execute(
        delete(Vote).where(Vote.user_id == user_id, Vote.paper_id == paper_id)
    ).rowcount  # type: ignore[attr-defined]
    if removed:
        _recount(session, paper_id)
    return _result(session, paper_id, voted=False, changed=bool(removed))


def voted_papers(session: Session, user_id: int, paper_ids: Iterable[str]) -> set[str]:
    """Which of ``paper_ids`` the member has voted for (to show their votes on a list page)."""
    ids = list(paper_ids)
    if not ids:
        return set()
    rows = session.scalars(
        select(Vote.paper_id).where(Vote.user_id == user_id, Vote.paper_id.in_(ids))
    )
    return set(rows)
