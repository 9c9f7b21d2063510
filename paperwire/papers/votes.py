"""Members' votes on papers: one per member per paper, with ``papers.vote_count`` kept equal to the
number of votes in the same transaction. Imported upvotes stay apart in ``upvotes_baseline``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
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


_papers = cast(Table, Paper.__table__)
_votes = cast(Table, Vote.__table__)

# Built once: these run once per vote, and the demo loader alone casts over a thousand.
# Locking the paper row (PostgreSQL; SQLite has one writer anyway) serialises concurrent votes on
# one paper, so the recount sees every committed vote.
_LOCK = (
    select(_papers.c.vote_count, _papers.c.upvotes_baseline)
    .where(_papers.c.id == bindparam("pid"), _papers.c.hidden.is_(False))
    .with_for_update()
)
_RECOUNT = (
    update(_papers)
    .where(_papers.c.id == bindparam("pid"))
    .values(
        vote_count=select(func.count())
        .select_from(_votes)
        .where(_votes.c.paper_id == bindparam("pid"))
        .scalar_subquery()
    )
    .returning(_papers.c.vote_count)
)
_DELETE = (
    delete(_votes)
    .where(_votes.c.user_id == bindparam("uid"), _votes.c.paper_id == bindparam("pid"))
    .returning(_votes.c.paper_id)
)


@functools.cache
def _insert(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    # RETURNING, not rowcount: drivers disagree on the rowcount of a skipped insert.
    return (
        module.insert(_votes)
        .values(user_id=bindparam("uid"), paper_id=bindparam("pid"), created_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["user_id", "paper_id"])
        .returning(_votes.c.paper_id)
    )


def _lock_paper(session: Session, paper_id: str) -> tuple[int, int]:
    found = session.execute(_LOCK, {"pid": paper_id}).first()
    if found is None:
        raise PaperNotFound(f"no paper {paper_id!r}")
    return found.vote_count or 0, found.upvotes_baseline or 0


def _finish(
    session: Session, paper_id: str, count: int, baseline: int, *, voted: bool, changed: bool
) -> VoteResult:
    if changed:
        count = session.execute(_RECOUNT, {"pid": paper_id}).scalar_one()
    return VoteResult(paper_id, voted, changed, count, count + baseline)


def cast_vote(
    session: Session, user_id: int, paper_id: str, *, at: datetime | None = None
) -> VoteResult:
    """Record the member's vote (idempotent: a second vote changes nothing), in the caller's
    transaction. Raises ``PaperNotFound`` for an unknown or hidden paper."""
    count, baseline = _lock_paper(session, paper_id)
    params = {"uid": user_id, "pid": paper_id, "at": utc_naive(at) or now_utc()}
    created = session.execute(_insert(session.get_bind().dialect.name), params).first()
    return _finish(session, paper_id, count, baseline, voted=True, changed=created is not None)


def retract_vote(session: Session, user_id: int, paper_id: str) -> VoteResult:
    """Take the member's vote back (idempotent: nothing happens when there is none)."""
    count, baseline = _lock_paper(session, paper_id)
    removed = session.execute(_DELETE, {"uid": user_id, "pid": paper_id}).first()
    return _finish(session, paper_id, count, baseline, voted=False, changed=removed is not None)


def all_voted(session: Session, user_id: int) -> set[str]:
    """Every paper the member has voted for (marks their votes on any page in one query)."""
    return set(session.scalars(select(Vote.paper_id).where(Vote.user_id == user_id)))
