"""Follows: a member follows authors (by slug), categories and keyphrases.

``followed`` is the one read other features use (the daily page's "followed" filter, the digest's
"From authors you follow", the personal ranking); ``followed_papers`` tells which of a list of
papers match what a member follows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from paperwire.authors.identities import find_author
from paperwire.authors.names import parse_slug
from paperwire.db.models import Follow, PaperAuthor, User
from paperwire.errors import AuthorNotFound, UsageError
from paperwire.papers.daily import daily_list
from paperwire.papers.readmodel import PaperView
from paperwire.papers.records import now_utc
from paperwire.papers.views import DailyList

KINDS = ("author", "category", "keyphrase")
MAX_PER_MEMBER = 500
MAX_VALUE = 255


@dataclass(frozen=True)
class Followed:
    kind: str
    value: str


def _clean(kind: str, value: str) -> str:
    if kind not in KINDS:
        raise UsageError(f"kind: one of {', '.join(KINDS)}, not “{kind}”")
    value = " ".join(value.split())
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise UsageError("value: control characters cannot be followed")
    if not value:
        raise UsageError(f"value: name the {kind} to follow")
    if len(value) > MAX_VALUE:
        raise UsageError(f"value: at most {MAX_VALUE} characters")
    if kind == "keyphrase":
        return value.casefold()
    return value


def follow(session: Session, user: User, kind: str, value: str) -> Followed:
    """Follow an author (slug), a category or a keyphrase (flushed, not committed); following
    twice is the same as once. An author is kept under the slug of its page."""
    value = _clean(kind, value)
    if kind == "author":
        author = find_author(session, value)
        if author is None:
            raise AuthorNotFound(f"There is no author {value} here.")
        value = author.slug
    exists = session.scalar(
        select(Follow.id).where(
            Follow.user_id == user.id, Follow.kind == kind, Follow.value == value
        )
    )
    if exists is None:
        count = session.scalar(select(func.count()).where(Follow.user_id == user.id)) or 0
        if count >= MAX_PER_MEMBER:
            raise UsageError(f"you already follow {MAX_PER_MEMBER} things; unfollow one first")
        session.add(Follow(user_id=user.id, kind=kind, value=value, created_at=now_utc()))
        session.flush()
    return Followed(kind, value)


def unfollow(session: Session, user: User, kind: str, value: str) -> None:
    """Stop following (flushed, not committed); unfollowing what is not followed does nothing."""
    value = _clean(kind, value)
    session.execute(
        delete(Follow).where(Follow.user_id == user.id, Follow.kind == kind, Follow.value == value)
    )
    session.flush()


def followed(session: Session, user_id: int) -> list[Followed]:
    """What the member follows, by kind then value."""
    rows = session.execute(
        select(Follow.kind, Follow.value)
        .where(Follow.user_id == user_id)
        .order_by(Follow.kind, Follow.value)
    )
    return [Followed(kind, value) for kind, value in rows]


def is_following(session: Session, user_id: int, kind: str, value: str) -> bool:
    return (
        session.scalar(
            select(Follow.id).where(
                Follow.user_id == user_id, Follow.kind == kind, Follow.value == value
            )
        )
        is not None
    )


def author_paper_ids(session: Session, slugs: Sequence[str], among: Sequence[str]) -> set[str]:
    """Which of the papers ``among`` have an author of one of the followed author ``slugs``."""
    if not slugs or not among:
        return set()
    forms: set[str] = set()
    for slug in slugs:
        author = find_author(session, slug)
        if author is not None:
            forms.update(author.forms)
        elif (parsed := parse_slug(slug)) is not None:
            forms.add(parsed.form)
    rows = session.scalars(
        select(PaperAuthor.paper_id).where(
            PaperAuthor.paper_id.in_(list(among)), PaperAuthor.form.in_(sorted(forms))
        )
    )
    return set(rows)


def followed_papers(session: Session, user_id: int, papers: Sequence[PaperView]) -> list[PaperView]:
    """The papers among ``papers`` that match something the member follows: an author, a
    category, or a keyphrase among the paper's keywords (its source's or extracted ones)."""
    follows = followed(session, user_id)
    if not follows or not papers:
        return []
    by_author = author_paper_ids(
        session, [f.value for f in follows if f.kind == "author"], [p.id for p in papers]
    )
    categories = {f.value for f in follows if f.kind == "category"}
    phrases = {f.value for f in follows if f.kind == "keyphrase"}
    return [
        p
        for p in papers
        if p.id in by_author
        or categories & set(p.categories)
        or phrases & {k.casefold() for k in p.keywords}
    ]


def followed_daily(session: Session, user_id: int, day: date) -> DailyList:
    """``day``'s whole list kept to the papers matching what the member follows, in list order."""
    whole = daily_list(session, day)
    kept = followed_papers(session, user_id, whole.papers)
    return dataclasses.replace(whole, papers=kept, total=len(kept), page=1, pages=1)
