"""Claimed authorship: a member asks to be linked to an author page, a moderator decides.

An approved claim marks the identity's name forms in ``paper_authors`` (``claimed_by_id``), so the
read model reports the member on every paper of that author (as Hugging Face reports a claimed
author's ``user`` and ``status``), and the author index marks papers that arrive later the same way.
A second claim on an author that already has a pending or approved one is refused, saying so.

So that nobody can squat author pages (one member once claimed 115 in 22 s, blocking the real
authors), a member makes at most ``PAPERWIRE_CLAIM_RATE_LIMIT`` claims an hour and holds at most
``PAPERWIRE_CLAIMS_PER_MEMBER`` waiting or approved ones; ``clear_claims`` lets a moderator refuse
all of a member's claims at once, freeing those authors for their real owners.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from paperwire import ratelimit
from paperwire.accounts.users import has_role
from paperwire.authors.identities import find_author
from paperwire.config import Settings
from paperwire.db.models import AuthorClaim, PaperAuthor, User
from paperwire.errors import AuthorNotFound, ClaimRefused, Forbidden, UsageError
from paperwire.papers.records import now_utc

OPEN = ("pending", "approved")
HOUR = 3600


def _open_claim(session: Session, forms: tuple[str, ...]) -> AuthorClaim | None:
    for claim in session.scalars(select(AuthorClaim).where(AuthorClaim.status.in_(OPEN))):
        if set(claim.forms or []) & set(forms):
            return claim
    return None


def _held(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AuthorClaim)
            .where(AuthorClaim.user_id == user_id, AuthorClaim.status.in_(OPEN))
        )
        or 0
    )


def request_claim(session: Session, settings: Settings, user: User, slug: str) -> AuthorClaim:
    """Ask to be linked to the author at ``slug`` (flushed, not committed): refused past the
    member's cap of held claims, ``RateLimited`` past their claims an hour."""
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
    cap = settings.claims_per_member
    if cap and _held(session, user.id) >= cap:
        raise ClaimRefused(
            f"You already hold {cap} authorship claims (waiting or approved), as many as one member"
            " may; a moderator can help if you are more authors here."
        )
    if settings.claim_rate_limit:
        rule = ratelimit.Limit("claim", settings.claim_rate_limit, HOUR)
        ratelimit.hit(session, rule.action, f"user:{user.id}", rule=rule)
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


def clear_claims(session: Session, moderator: User, username: str) -> int:
    """Refuse every waiting or approved claim of the member ``username`` at once, unmarking the
    papers of the approved ones (flushed, not committed); the number of claims cleared."""
    if not has_role(moderator, "moderator"):
        raise Forbidden("Only a moderator can clear authorship claims.")
    member = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if member is None:
        raise UsageError(f"member: there is no member {username}")
    cleared = list(
        session.scalars(
            select(AuthorClaim).where(
                AuthorClaim.user_id == member.id, AuthorClaim.status.in_(OPEN)
            )
        )
    )
    forms = {str(form) for claim in cleared if claim.status == "approved" for form in claim.forms}
    for claim in cleared:
        claim.status = "refused"
        claim.decided_at = now_utc()
        claim.decided_by_id = moderator.id
    if forms:
        session.execute(
            update(PaperAuthor)
            .where(PaperAuthor.form.in_(sorted(forms)), PaperAuthor.claimed_by_id == member.id)
            .values(claimed_by_id=None)
        )
    session.flush()
    return len(cleared)


def pending_claims(session: Session) -> list[tuple[AuthorClaim, str]]:
    """Claims waiting for a moderator, oldest first, with the member's user name."""
    rows = session.execute(
        select(AuthorClaim, User.username)
        .join(User, User.id == AuthorClaim.user_id)
        .where(AuthorClaim.status == "pending")
        .order_by(AuthorClaim.created_at, AuthorClaim.id)
    )
    return [(claim, name) for claim, name in rows]


def claimants(session: Session) -> list[tuple[str, int]]:
    """Members with claims waiting, with how many they hold (waiting or approved), most first:
    the moderation page offers to clear each one's claims at once."""
    waiting = select(AuthorClaim.user_id).where(AuthorClaim.status == "pending")
    rows = session.execute(
        select(User.username, func.count(AuthorClaim.id))
        .join(User, User.id == AuthorClaim.user_id)
        .where(AuthorClaim.status.in_(OPEN), AuthorClaim.user_id.in_(waiting))
        .group_by(User.username)
        .order_by(func.count(AuthorClaim.id).desc(), User.username)
    )
    return [(name, count) for name, count in rows]


def own_claims(session: Session, user: User) -> list[AuthorClaim]:
    """The member's claims, newest first."""
    return list(
        session.scalars(
            select(AuthorClaim)
            .where(AuthorClaim.user_id == user.id)
            .order_by(AuthorClaim.created_at.desc(), AuthorClaim.id.desc())
        )
    )
