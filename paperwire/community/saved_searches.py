"""Saved searches: a member's named queries (the search box's text, with its operators), to rerun
from the API or follow as a feed (``/search.atom?q=``). Only their member can see or delete them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire.db.models import SavedSearch, User
from paperwire.errors import SavedSearchNotFound, UsageError
from paperwire.papers.records import now_utc

MAX_PER_MEMBER = 100
MAX_QUERY = 250
MAX_NAME = 200


def save_search(db: Session, user: User, name: str, query: str) -> SavedSearch:
    """Keep ``query`` under ``name`` for the member (flushed, not committed)."""
    query = query.strip()
    name = " ".join(name.split()) or query[:MAX_NAME]
    if not query:
        raise UsageError("query: give the words to search for")
    if len(query) > MAX_QUERY:
        raise UsageError(f"query: at most {MAX_QUERY} characters")
    if len(name) > MAX_NAME:
        raise UsageError(f"name: at most {MAX_NAME} characters")
    count = db.scalar(select(func.count()).where(SavedSearch.user_id == user.id)) or 0
    if count >= MAX_PER_MEMBER:
        raise UsageError(f"you already keep {MAX_PER_MEMBER} saved searches; delete one first")
    saved = SavedSearch(user_id=user.id, name=name, query=query, created_at=now_utc())
    db.add(saved)
    db.flush()
    return saved


def saved_searches(db: Session, user: User) -> list[SavedSearch]:
    """The member's saved searches, newest first."""
    rows = db.scalars(
        select(SavedSearch)
        .where(SavedSearch.user_id == user.id)
        .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())
    )
    return list(rows)


def saved_search(db: Session, user: User, search_id: int) -> SavedSearch:
    """One of the member's own saved searches; ``SavedSearchNotFound`` for anyone else's."""
    saved = db.get(SavedSearch, search_id)
    if saved is None or saved.user_id != user.id:
        raise SavedSearchNotFound(f"you have no saved search {search_id}")
    return saved


def delete_saved_search(db: Session, user: User, search_id: int) -> None:
    db.delete(saved_search(db, user, search_id))
