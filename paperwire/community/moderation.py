"""Moderators hide a paper from every list (and the search index) or bring it back: one write
service, ``set_paper_hidden``, that the moderation pages (and any other surface) call."""

from __future__ import annotations

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from paperwire.accounts.users import has_role
from paperwire.config import Settings
from paperwire.db.engine import after_commit
from paperwire.db.models import Paper, User
from paperwire.errors import Forbidden, PaperNotFound
from paperwire.papers.records import now_utc
from paperwire.search import service


def set_paper_hidden(
    session: Session, settings: Settings, moderator: User, paper_id: str, hidden: bool
) -> None:
    """Hide the paper from lists, pages and search, or show it again (flushed, not committed).
    Once the caller's transaction commits, the search index drops (or takes back) the paper at
    once rather than at the worker's next sync; a restored paper's embedding waits for that."""
    if not has_role(moderator, "moderator"):
        raise Forbidden("Only a moderator can hide or show papers.")
    changed = session.execute(
        update(Paper).where(Paper.id == paper_id).values(hidden=hidden, modified_at=now_utc())
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise PaperNotFound(f"There is no paper {paper_id} here.")
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    after_commit(session, lambda: _sync_search(settings, engine))


def hidden_papers(session: Session, limit: int = 200) -> list[Paper]:
    """Hidden papers, most recently changed first (for the moderation page)."""
    return list(
        session.scalars(
            select(Paper)
            .where(Paper.hidden.is_(True))
            .order_by(Paper.modified_at.desc())
            .limit(limit)
        )
    )


def _sync_search(settings: Settings, engine: Engine) -> None:
    service.sync_index(settings, engine, embed=False)
