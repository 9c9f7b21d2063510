"""Claimed authorship: a member asks to be linked to an author page, a moderator decides.

An approved claim marks the identity's name forms in ``paper_authors`` (``claimed_by_id``), so the
read model reports the member on every paper of that author (as Hugging Face reports a claimed
author's ``user`` and ``status``), and the author index marks papers that arrive later the same way.
A second claim on an author that already has a pending or approved one is refused, saying so.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from paperwire.accounts.users import has_role
from paperwire.authors.identities import find_author
from paperwire.db.models import AuthorClaim, PaperAuthor, User
from paperwire.errors import AuthorNotFound, ClaimRefused, Forbidden, UsageError
from paperwire.papers.records import now_utc

OPEN = ("pending", "approved")


def _open_claim(session: Session, forms: tuple[str, ...]) -> AuthorClaim | None:
    for claim in session.scalars(select(AuthorClaim).where(AuthorClaim.status.in_(OPEN))):
        if set(claim.forms or []) & set(forms):
            return claim
    return None


def request_claim(session: Session, user: User, slug: str) -> AuthorClaim:
    """Ask to be linked to the author at ``slug`` (flushed, not committed)."""
    author = find_author(session, slug)
    if author is None:
        raise AuthorNotFound(f"There is no author {slug} here.")
    if author.several:
        raise ClaimRefused(
            f"The name {author.name} may cover several people here, so it cannot be claimed "
            "as one; a moderator can help."
        )
    held = _open_claim(session, author.forms)
    if held is not None:
        who = "you" if held.user_id == user.id else "another member"
        state = "has been approved" if held.status == "approved" else "is waiting for a moderator"
        raise ClaimRefused(f"{author.name} is already claimed: a claim by {who} {state}.")
    claim = AuthorClaim(
        user_id=user.id,
        slug=author.slug,
        forms=list(author.forms),
        status="pending",
        created_at=now_utc(),
    )
    session.add(claim)
    session.flush()
    return claim


def decide_claim(session: Session, moderator: User, claim_id: int, approve: bool) -> AuthorClaim:
    """Approve or refuse a pending claim (flushed, not committed)."""
    if not has_role(moderator, "moderator"):
        raise Forbidden("Only a moderator can decide authorship claims.")
    claim = session.get(AuthorClaim, claim_id)
    if claim is None:
        raise UsageError(f"claim: there is no claim {claim_id}")
    if claim.status != "pending":
        raise ClaimRefused(f"Claim {claim_id} was already {claim.status}.")
    claim.status = "approved" if approve else "refused"
    claim.decided_at = now_utc()
    claim.decided_by_id = moderator.id
    if approve:
        session.execute(
            update(PaperAuthor)
            .where(PaperAuthor.form.in_(claim.forms or []))
            .values(claimed_by_id=claim.user_id)
        )
    session.flush()
    return claim


def pending_claims(session: Session) -> list[tuple[AuthorClaim, str]]:
    """Claims waiting for a moderator, oldest first, with the member's user name."""
    rows = session.execute(
        select(AuthorClaim, User.username)
        .join(User, User.id == AuthorClaim.user_id)
        .where(AuthorClaim.status == "pending")
        .order_by(AuthorClaim.created_at, AuthorClaim.id)
    )
    return [(claim, name) for claim, name in rows]


def own_claims(session: Session, user: User) -> list[AuthorClaim]:
    """The member's claims, newest first."""
    return list(
        session.scalars(
            select(AuthorClaim)
            .where(AuthorClaim.user_id == user.id)
            .order_by(AuthorClaim.created_at.desc(), AuthorClaim.id.desc())
        )
    )
