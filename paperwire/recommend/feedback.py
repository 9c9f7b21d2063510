"""The member's own steering of their feed (flushed, not committed; every surface calls these):
more like this / not interested on a paper, topics in words or arXiv ids, removing any signal, and a
reset."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper, Signal, User
from paperwire.errors import PaperNotFound, PaperwireError, UsageError
from paperwire.numbers import row_id
from paperwire.papers.ids import canonical_id, try_parse_arxiv_id
from paperwire.papers.records import now_utc
from paperwire.recommend.signals import (
    FEEDBACK,
    MORE_LIKE_THIS,
    MUTED,
    TOPIC,
    collect,
)
from paperwire.recommend.vectors import stored_embedding

MAX_TOPIC = 200
MAX_TOPICS_AT_ONCE = 20
# Rows of ``signals`` a member may keep (an import counts each entry).
MAX_SIGNALS = 20_000


class SignalNotFound(PaperwireError):
    """No such signal among the asking member's own (another member's is not found either)."""

    http_status = 404


def _visible(session: Session, paper_id: str) -> str:
    pid = canonical_id(paper_id)
    hidden = session.scalar(select(Paper.hidden).where(Paper.id == pid))
    if hidden is None or hidden:
        raise PaperNotFound(f"no paper {paper_id!r}")
    return pid


def room_left(session: Session, user: User) -> int:
    used = session.scalar(select(func.count()).where(Signal.user_id == user.id)) or 0
    return MAX_SIGNALS - int(used)


def give_feedback(session: Session, user: User, paper_id: str, signal: str) -> Signal:
    """Record ``more_like_this`` or ``not_interested`` on a visible paper; the other one of the
    two, if given before, is replaced (idempotent)."""
    if signal not in FEEDBACK:
        raise UsageError(f"signal: one of {', '.join(FEEDBACK)}, not {signal!r}")
    pid = _visible(session, paper_id)
    existing = session.scalars(
        select(Signal).where(
            Signal.user_id == user.id, Signal.paper_id == pid, Signal.kind.in_(FEEDBACK)
        )
    ).all()
    for row in existing:
        if row.kind == signal:
            return row
        session.delete(row)
    row = Signal(user_id=user.id, kind=signal, paper_id=pid, text="", created_at=now_utc())
    session.add(row)
    session.flush()
    return row


def take_back(session: Session, user: User, paper_id: str, signal: str) -> bool:
    """Remove the member's ``signal`` on ``paper_id``; whether there was one."""
    if signal not in FEEDBACK:
        raise UsageError(f"signal: one of {', '.join(FEEDBACK)}, not {signal!r}")
    pid = canonical_id(paper_id)
    result = session.execute(
        delete(Signal).where(
            Signal.user_id == user.id, Signal.paper_id == pid, Signal.kind == signal
        )
    )
    return bool(getattr(result, "rowcount", 0))


_SPLIT = re.compile(r"[\n;,]+")


def add_topics(settings: Settings, session: Session, user: User, text: str) -> list[Signal]:
    """Cold start: topics in words (one per line or comma) and arXiv ids or URLs, which become
    "more like this" on the paper. An id paperwire does not hold is a ``PaperNotFound``."""
    parts = [" ".join(p.split()) for p in _SPLIT.split(text or "")]
    parts = [p for p in parts if p]
    if not parts:
        raise UsageError("topics: give a few words (one topic per line) or arXiv ids")
    if len(parts) > MAX_TOPICS_AT_ONCE:
        raise UsageError(f"topics: at most {MAX_TOPICS_AT_ONCE} at once")
    if len(parts) > room_left(session, user):
        raise UsageError(f"you already keep {MAX_SIGNALS} signals; remove some first")
    made: list[Signal] = []
    for part in parts:
        arxiv = try_parse_arxiv_id(part)
        if arxiv is not None:
            made.append(give_feedback(session, user, arxiv.id, MORE_LIKE_THIS))
            continue
        if len(part) > MAX_TOPIC:
            raise UsageError(f"topics: each at most {MAX_TOPIC} characters")
        row = Signal(
            user_id=user.id,
            kind=TOPIC,
            text=part,
            embedding=stored_embedding(settings, part),
            created_at=now_utc(),
        )
        session.add(row)
        made.append(row)
    session.flush()
    return made


def remove_signal(session: Session, user: User, key: str) -> None:
    """Stop using the signal ``key`` (as ``/for-you/signals`` lists it): the member's own row is
    deleted; a signal kept elsewhere is muted. ``SignalNotFound`` if the member has no such one."""
    if key.startswith("signal:"):
        number = key.removeprefix("signal:")
        found = row_id(number)
        row = session.get(Signal, found) if found is not None else None
        if row is None or row.user_id != user.id or row.kind == MUTED:
            raise SignalNotFound(f"you have no signal {key!r}")
        session.delete(row)
        return
    if key not in {item.key for item in collect(session, user.id)}:
        raise SignalNotFound(f"you have no signal {key!r}")
    session.add(Signal(user_id=user.id, kind=MUTED, ref=key, text="", created_at=now_utc()))
    session.flush()


def reset(session: Session, user: User) -> int:
    """Forget every signal given on the For you pages (feedback, topics, imports, mutes); upvotes,
    collections and saved searches stay. Returns how many rows went."""
    result = session.execute(delete(Signal).where(Signal.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)
