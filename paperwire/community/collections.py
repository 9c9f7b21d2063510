"""Members' collections of papers: create, rename, describe, make public or private, delete, and
add or remove papers. A private collection is visible to its owner only; to anyone else it does
not exist (``CollectionNotFound``, a 404), and nobody but the owner can change a collection."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from paperwire.db.models import Collection, CollectionItem, Paper, User
from paperwire.errors import CollectionNotFound, PaperNotFound, UsageError
from paperwire.papers.readmodel import PaperView, load_papers
from paperwire.papers.records import now_utc

NAME_CHARS = 200
DESCRIPTION_CHARS = 2000
# Enough for a reading list; a page of cards stays fast.
MAX_ITEMS = 500


@dataclass(frozen=True)
class CollectionSummary:
    id: int
    owner: str
    name: str
    slug: str
    description: str
    is_public: bool
    paper_count: int
    updated_at: datetime


@dataclass(frozen=True)
class CollectionPage:
    """A collection with its papers (newest addition first) and whether the viewer owns it."""

    summary: CollectionSummary
    papers: list[PaperView]
    is_owner: bool


@dataclass(frozen=True)
class Membership:
    """One of a member's collections, and whether a given paper is in it (the paper page)."""

    id: int
    name: str
    slug: str
    contains: bool


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise UsageError("A collection needs a name.")
    if len(name) > NAME_CHARS:
        raise UsageError(f"A collection name has at most {NAME_CHARS} characters.")
    return name


def _clean_description(description: str) -> str:
    description = description.strip()
    if len(description) > DESCRIPTION_CHARS:
        raise UsageError(f"A description has at most {DESCRIPTION_CHARS} characters.")
    return description


def _slug_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return slug or "collection"


def _free_slug(session: Session, owner_id: int, name: str, keep: int | None = None) -> str:
    base = _slug_base(name)
    taken = set(
        session.scalars(
            select(Collection.slug).where(
                Collection.owner_id == owner_id,
                Collection.slug.like(f"{base}%"),
                Collection.id != (keep or -1),
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _owned(session: Session, owner: User, collection_id: int) -> Collection:
    found = session.get(Collection, collection_id)
    if found is None or found.owner_id != owner.id:
        raise CollectionNotFound("There is no such collection of yours.")
    return found


def _visible_paper(session: Session, paper_id: str) -> None:
    if not session.scalar(select(Paper.id).where(Paper.id == paper_id, Paper.hidden.is_(False))):
        raise PaperNotFound(f"There is no paper {paper_id} here.")


def _touch(collection: Collection) -> None:
    collection.updated_at = now_utc()


def create_collection(
    session: Session,
    owner: User,
    name: str,
    *,
    description: str = "",
    is_public: bool = False,
    paper_id: str = "",
) -> Collection:
    """A new collection of ``owner``'s (its address slug made from the name, unique for them),
    holding ``paper_id`` when one is given (the paper page's "new collection with this paper")."""
    name = _clean_name(name)
    now = now_utc()
    collection = Collection(
        owner_id=owner.id,
        name=name,
        slug=_free_slug(session, owner.id, name),
        description=_clean_description(description),
        is_public=is_public,
        created_at=now,
        updated_at=now,
    )
    session.add(collection)
    session.flush()
    if paper_id:
        add_paper(session, owner, collection.id, paper_id)
    return collection


def update_collection(
    session: Session,
    owner: User,
    collection_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    is_public: bool | None = None,
) -> Collection:
    """Rename, describe or change the visibility of one of ``owner``'s collections. A new name
    gives a new address slug."""
    collection = _owned(session, owner, collection_id)
    if name is not None and _clean_name(name) != collection.name:
        collection.name = _clean_name(name)
        collection.slug = _free_slug(session, owner.id, collection.name, keep=collection.id)
    if description is not None:
        collection.description = _clean_description(description)
    if is_public is not None:
        collection.is_public = is_public
    _touch(collection)
    session.flush()
    return collection


def delete_collection(session: Session, owner: User, collection_id: int) -> None:
    collection = _owned(session, owner, collection_id)
    session.execute(delete(CollectionItem).where(CollectionItem.collection_id == collection.id))
    session.delete(collection)
    session.flush()


def add_paper(session: Session, owner: User, collection_id: int, paper_id: str) -> bool:
    """Add a visible paper; False when it was already there (adding twice changes nothing)."""
    collection = _owned(session, owner, collection_id)
    _visible_paper(session, paper_id)
    count = session.scalar(
        select(func.count()).where(CollectionItem.collection_id == collection.id)
    )
    if (count or 0) >= MAX_ITEMS:
        raise UsageError(f"A collection holds at most {MAX_ITEMS} papers.")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = session.execute(
        insert(CollectionItem)
        .values(collection_id=collection.id, paper_id=paper_id, note="", added_at=now_utc())
        .on_conflict_do_nothing(index_elements=["collection_id", "paper_id"])
        .returning(CollectionItem.paper_id)
    ).first()
    _touch(collection)
    session.flush()
    return added is not None


def remove_paper(session: Session, owner: User, collection_id: int, paper_id: str) -> bool:
    """Remove a paper; False when it was not there."""
    collection = _owned(session, owner, collection_id)
    removed = session.execute(
        delete(CollectionItem)
        .where(CollectionItem.collection_id == collection.id, CollectionItem.paper_id == paper_id)
        .returning(CollectionItem.paper_id)
    ).first()
    _touch(collection)
    session.flush()
    return removed is not None


def _summaries(session: Session, owner: User, viewer: User | None) -> list[CollectionSummary]:
    counts = (
        select(CollectionItem.collection_id, func.count().label("n"))
        .group_by(CollectionItem.collection_id)
        .subquery()
    )
    query = (
        select(Collection, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.collection_id == Collection.id)
        .where(Collection.owner_id == owner.id)
        .order_by(Collection.updated_at.desc(), Collection.id.desc())
    )
    if viewer is None or viewer.id != owner.id:
        query = query.where(Collection.is_public.is_(True))
    return [_summary(c, owner.username, n) for c, n in session.execute(query)]


def _summary(collection: Collection, owner: str, count: int) -> CollectionSummary:
    return CollectionSummary(
        id=collection.id,
        owner=owner,
        name=collection.name,
        slug=collection.slug,
        description=collection.description or "",
        is_public=collection.is_public,
        paper_count=int(count),
        updated_at=collection.updated_at,
    )


def _owner(session: Session, username: str) -> User:
    owner = session.scalar(select(User).where(User.username == username))
    if owner is None or not owner.is_active:
        raise CollectionNotFound(f"There is no member {username} here.")
    return owner


def member_collections(
    session: Session, username: str, viewer: User | None
) -> list[CollectionSummary]:
    """A member's collections as ``viewer`` may see them: all for the owner, public ones else."""
    return _summaries(session, _owner(session, username), viewer)


def collection_page(
    session: Session, username: str, slug: str, viewer: User | None
) -> CollectionPage:
    """One collection with its papers; ``CollectionNotFound`` for a private one of somebody else."""
    owner = _owner(session, username)
    collection = session.scalar(
        select(Collection).where(Collection.owner_id == owner.id, Collection.slug == slug)
    )
    is_owner = viewer is not None and viewer.id == owner.id
    if collection is None or not (collection.is_public or is_owner):
        raise CollectionNotFound(f"{username} has no collection “{slug}” that you can see.")
    ids = list(
        session.scalars(
            select(CollectionItem.paper_id)
            .where(CollectionItem.collection_id == collection.id)
            .order_by(CollectionItem.added_at.desc(), CollectionItem.paper_id)
        )
    )
    papers = load_papers(session, ids)
    return CollectionPage(_summary(collection, owner.username, len(papers)), papers, is_owner)


def memberships(session: Session, owner: User, paper_id: str) -> list[Membership]:
    """``owner``'s collections, each saying whether ``paper_id`` is in it (newest first)."""
    holding = set(
        session.scalars(
            select(CollectionItem.collection_id)
            .join(Collection, Collection.id == CollectionItem.collection_id)
            .where(Collection.owner_id == owner.id, CollectionItem.paper_id == paper_id)
        )
    )
    rows = session.execute(
        select(Collection.id, Collection.name, Collection.slug)
        .where(Collection.owner_id == owner.id)
        .order_by(Collection.updated_at.desc(), Collection.id.desc())
    )
    return [Membership(cid, name, slug, cid in holding) for cid, name, slug in rows]
