"""What paperwire uses to rank a member's feed: every signal, from every source, in one shape.

A source is one function ``(session, user_id) -> list[SignalItem]`` in ``SOURCES``; adding a source
(followed categories or authors, say) is one more function there. Signals kept elsewhere (an upvote,
a paper in a collection, a saved search, a digest topic) are never changed from here: taking one
away on ``/for-you/signals`` records a ``muted`` row naming it, so the upvote stays an upvote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperwire.db.models import (
    Collection,
    CollectionItem,
    Follow,
    Paper,
    SavedSearch,
    Signal,
    Subscription,
    Vote,
)

# Kinds of the member's own rows in the ``signals`` table.
MORE_LIKE_THIS = "more_like_this"
NOT_INTERESTED = "not_interested"
TOPIC = "topic"
IMPORTED = "imported"
MUTED = "muted"
FEEDBACK = (MORE_LIKE_THIS, NOT_INTERESTED)

# How much each kind counts against an upvote's 1.
WEIGHTS = {
    "upvote": 1.0,
    "collection": 1.0,
    MORE_LIKE_THIS: 1.5,
    TOPIC: 1.5,
    IMPORTED: 0.8,
    "saved_search": 1.0,
    "digest_topic": 1.0,
    "followed_keyphrase": 1.0,
    NOT_INTERESTED: 1.0,
}
LABELS = {
    "upvote": "Upvoted",
    "collection": "In your collection",
    MORE_LIKE_THIS: "More like this",
    NOT_INTERESTED: "Not interested",
    TOPIC: "Topic",
    IMPORTED: "Imported reference",
    "saved_search": "Saved search",
    "digest_topic": "Digest topic",
    "followed_keyphrase": "Followed keyphrase",
}


@dataclass(frozen=True)
class SignalItem:
    """One signal: ``key`` names it for removal; a paper signal has ``paper_id``, a text signal
    ``text`` (and perhaps its stored ``embedding``); ``reason`` is the line a matched paper shows."""

    key: str
    kind: str
    positive: bool
    paper_id: str | None
    text: str
    title: str
    at: datetime
    embedding: dict[str, Any] | None = None
    detail: str = ""

    @property
    def weight(self) -> float:
        return WEIGHTS.get(self.kind, 1.0)

    @property
    def label(self) -> str:
        return LABELS.get(self.kind, self.kind)

    @property
    def reason(self) -> str:
        name = f"\N{LEFT DOUBLE QUOTATION MARK}{self.title}\N{RIGHT DOUBLE QUOTATION MARK}"
        return {
            "upvote": f"because you upvoted {name}",
            "collection": f"like {name} in your collection {self.detail}",
            MORE_LIKE_THIS: f"because you asked for more like {name}",
            TOPIC: f"matches your topic {name}",
            IMPORTED: f"like {name} from your library",
            "saved_search": f"matches your saved search {name}",
            "digest_topic": f"matches your digest topic {name}",
            "followed_keyphrase": f"matches the keyphrase you follow, {name}",
        }.get(self.kind, f"like {name}")

    @property
    def own(self) -> bool:
        """Whether removing it deletes a row of ``signals`` (otherwise it is muted)."""
        return self.key.startswith("signal:")


Source = Callable[[Session, int], list[SignalItem]]


def _votes(session: Session, user_id: int) -> list[SignalItem]:
    rows = session.execute(
        select(Vote.paper_id, Vote.created_at, Paper.title)
        .join(Paper, Paper.id == Vote.paper_id)
        .where(Vote.user_id == user_id)
    )
    return [
        SignalItem(f"vote:{pid}", "upvote", True, pid, "", title, at) for pid, at, title in rows
    ]


def _collections(session: Session, user_id: int) -> list[SignalItem]:
    rows = session.execute(
        select(CollectionItem.paper_id, CollectionItem.added_at, Paper.title, Collection.name)
        .join(Collection, Collection.id == CollectionItem.collection_id)
        .join(Paper, Paper.id == CollectionItem.paper_id)
        .where(Collection.owner_id == user_id)
    )
    seen: dict[str, SignalItem] = {}
    for pid, at, title, name in rows:
        seen.setdefault(
            pid, SignalItem(f"collection:{pid}", "collection", True, pid, "", title, at, None, name)
        )
    return list(seen.values())


def _own(session: Session, user_id: int) -> list[SignalItem]:
    rows = session.execute(
        select(Signal, Paper.title)
        .outerjoin(Paper, Paper.id == Signal.paper_id)
        .where(Signal.user_id == user_id, Signal.kind != MUTED)
    )
    return [
        SignalItem(
            f"signal:{s.id}",
            s.kind,
            s.kind != NOT_INTERESTED,
            s.paper_id,
            s.text or "",
            title or s.ref or s.text[:200],
            s.created_at,
            s.embedding,
        )
        for s, title in rows
    ]


def _saved_searches(session: Session, user_id: int) -> list[SignalItem]:
    rows = session.scalars(select(SavedSearch).where(SavedSearch.user_id == user_id))
    return [
        SignalItem(f"search:{s.id}", "saved_search", True, None, s.query, s.name, s.created_at)
        for s in rows
    ]


def _digest_topics(session: Session, user_id: int) -> list[SignalItem]:
    rows = session.scalars(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.status == "active")
    )
    return [
        SignalItem(f"digest:{topic}"[:300], "digest_topic", True, None, topic, topic, s.created_at)
        for s in rows
        for topic in s.topics or []
    ]


def _followed_keyphrases(session: Session, user_id: int) -> list[SignalItem]:
    """Keyphrases the member follows (``community/follows.py``), read as topics in words."""
    rows = session.scalars(
        select(Follow).where(Follow.user_id == user_id, Follow.kind == "keyphrase")
    )
    return [
        SignalItem(
            f"follow:{f.id}", "followed_keyphrase", True, None, f.value, f.value, f.created_at
        )
        for f in rows
    ]


SOURCES: list[Source] = [
    _votes,
    _collections,
    _own,
    _saved_searches,
    _digest_topics,
    _followed_keyphrases,
]


def muted_keys(session: Session, user_id: int) -> set[str]:
    rows = session.scalars(
        select(Signal.ref).where(Signal.user_id == user_id, Signal.kind == MUTED)
    )
    return {ref for ref in rows if ref}


def collect(session: Session, user_id: int) -> list[SignalItem]:
    """Every signal the member gives that paperwire uses, newest first (muted ones left out)."""
    muted = muted_keys(session, user_id)
    items = [item for source in SOURCES for item in source(session, user_id)]
    kept = [item for item in items if item.key not in muted]
    return sorted(kept, key=lambda item: item.at, reverse=True)
