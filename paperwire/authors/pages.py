"""An author page's data, computed once for the HTML page, ``GET /api/authors/{slug}`` and the
author's Atom feed: who (``identities.find_author``), their papers newest first through the read
model, and the asking member's relation (following, their claim)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperwire.authors.identities import Identity, find_author
from paperwire.db.models import AuthorClaim, Follow
from paperwire.errors import AuthorNotFound
from paperwire.papers.readmodel import PaperView, load_papers

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuthorPage:
    author: Identity
    papers: list[PaperView]
    total: int
    following: bool = False
    own_claim: str | None = None  # the asking member's claim status on this author


def author_page(
    session: Session, slug: str, *, viewer_id: int | None = None, limit: int = PAGE_SIZE
) -> AuthorPage:
    """The page of the author ``slug`` names (``AuthorNotFound`` when no visible paper has it)."""
    author = find_author(session, slug)
    if author is None:
        raise AuthorNotFound(f"There is no author {slug} here (yet).")
    papers = load_papers(session, author.paper_ids[:limit], viewer_id=viewer_id)
    following, own = False, None
    if viewer_id is not None:
        following = (
            session.scalar(
                select(Follow.id).where(
                    Follow.user_id == viewer_id,
                    Follow.kind == "author",
                    Follow.value == author.slug,
                )
            )
            is not None
        )
        own = session.scalar(
            select(AuthorClaim.status)
            .where(AuthorClaim.user_id == viewer_id, AuthorClaim.slug == author.slug)
            .order_by(AuthorClaim.created_at.desc())
            .limit(1)
        )
    return AuthorPage(author, papers, len(author.paper_ids), following, own)
