"""Load the bundled corpus into a database as a ready demo instance.

- Hugging Face daily lists keep their real dates, submitters and upvotes (the imported baseline).
- Papers from the other sources (arXiv snapshot, API and OAI-PMH recordings) that no list holds join
  the list of their first-published date, submitted by a demo member, so the archive is browsable.
- A few demo members, all with the password ``DEMO_PASSWORD``, cast deterministic votes (seeded RNG)
  through ``papers.votes.cast_vote``, leaning towards papers the Hugging Face community upvoted,
  and leave a few comments (``community.comments.add_comment``) on the most upvoted papers.
Loading is idempotent: a second load of the same corpus and seed changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.accounts.passwords import hash_password
from paperwire.accounts.users import create_user
from paperwire.community.comments import add_comment
from paperwire.db.engine import session_scope
from paperwire.db.models import Comment, IngestCursor, User
from paperwire.demo.corpus import CORPUS, corpus_digest, read_corpus
from paperwire.papers.records import EntryRecord, PaperRecord, now_utc
from paperwire.papers.store import UpsertResult, upsert_papers
from paperwire.papers.votes import cast_vote

DEMO_PASSWORD = "demo-password"
DEMO_MEMBERS: tuple[tuple[str, str], ...] = (
    ("alice", "admin"),
    ("bob", "moderator"),
    ("carol", "member"),
    ("dave", "member"),
    ("erin", "member"),
    ("frank", "member"),
    ("grace", "member"),
    ("heidi", "member"),
)
DEMO_COMMENTS: tuple[tuple[str, str], ...] = (
    (
        "carol",
        "The ablation in section 4 is the most convincing part for me. Has anyone tried the code?",
    ),
    (
        "dave",
        "Yes: the repository runs out of the box, and **the numbers reproduce** within noise.",
    ),
    ("erin", "How does this compare with last week's paper on the same benchmark?"),
    (
        "frank",
        "Nice write-up. A question on the setup:\n\n> trained for one epoch\n\nis that enough here?",
    ),
    ("grace", "Worth reading together with the related work they cite in `Table 2`."),
)
DEMO_COMMENTED_PAPERS = 4
DEMO_SOURCE = "demo"
BATCH = 500
_MARKER = ("demo", "corpus")


@dataclass
class DemoSummary:
    papers: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    list_dates: int = 0
    first_date: date | None = None
    last_date: date | None = None
    members_created: int = 0
    votes: int = 0
    votes_added: int = 0
    comments_added: int = 0

    def text(self) -> str:
        span = f" ({self.first_date} to {self.last_date})" if self.first_date else ""
        return (
            f"demo corpus: {self.papers} papers ({self.added} added, {self.updated} updated,"
            f" {self.unchanged} unchanged) in {self.list_dates} daily lists{span};"
            f" {self.members_created} members created; {self.votes} demo votes"
            f" ({self.votes_added} new); {self.comments_added} demo comments added"
        )


def _batches(records: Iterable[PaperRecord], size: int) -> Iterator[list[PaperRecord]]:
    """Batches of about ``size`` records in which all records of one paper travel together, so the
    store merges them at once and counts each paper once."""
    groups: dict[str, list[PaperRecord]] = {}
    for r in records:
        groups.setdefault(r.id, []).append(r)
    batch: list[PaperRecord] = []
    for group in groups.values():
        batch.extend(group)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _ensure_members(session: Session) -> tuple[dict[str, int], int]:
    existing = dict(
        session.execute(
            select(User.username, User.id).where(User.username.in_([n for n, _ in DEMO_MEMBERS]))
        ).all()
    )
    created = 0
    hashed: str | None = None
    for name, role in DEMO_MEMBERS:
        if name not in existing:
            hashed = hashed or hash_password(DEMO_PASSWORD)
            user = create_user(
                session, name, f"{name}@example.org", DEMO_PASSWORD, role, password_hash=hashed
            )
            existing[name] = user.id
            created += 1
    return existing, created


def _arrange(
    records: list[PaperRecord], members: dict[str, int], rng: random.Random
) -> list[PaperRecord]:
    """Give a demo daily-list entry to every paper that no record puts in a list."""
    listed = {r.id for r in records if r.entry is not None}
    first_published: dict[str, datetime] = {}
    for r in records:
        if r.id not in listed and r.published_at is not None:
            seen = first_published.get(r.id)
            first_published[r.id] = min(seen, r.published_at) if seen else r.published_at
    names = sorted(members)
    entries: dict[str, EntryRecord] = {}
    for pid in sorted(first_published):
        when = first_published[pid]
        name = rng.choice(names)
        entries[pid] = EntryRecord(
            list_date=when.date(),
            source=DEMO_SOURCE,
            submitted_at=when,
            submitter_name=name,
            submitted_by_id=members[name],
        )
    # The first record of each paper carries its entry; the store keeps one entry per paper.
    arranged = []
    for r in records:
        entry = entries.pop(r.id, None)
        arranged.append(replace(r, entry=entry) if entry is not None else r)
    return arranged


def _vote_plan(
    records: list[PaperRecord], members: dict[str, int], rng: random.Random
) -> list[tuple[int, str, datetime]]:
    """Who votes for what, and when: a paper the Hugging Face community liked draws more votes."""
    baseline: dict[str, int] = {}
    listed_at: dict[str, datetime] = {}
    for r in records:
        baseline[r.id] = max(baseline.get(r.id, 0), r.upvotes_baseline or 0)
        if r.entry is not None:
            when = r.entry.submitted_at or datetime.combine(r.entry.list_date, datetime.min.time())
            listed_at[r.id] = min(listed_at.get(r.id, when), when)
    now = now_utc()
    plan = []
    for pid in sorted(listed_at):
        chance = 0.02 + min(0.45, baseline[pid] / 150)
        for name in sorted(members):
            if rng.random() < chance:
                at = min(now, listed_at[pid] + timedelta(minutes=rng.randrange(5, 3 * 24 * 60)))
                plan.append((members[name], pid, at))
    return plan


def _add_comments(session: Session, records: list[PaperRecord], members: dict[str, int]) -> int:
    """The demo comments on the most upvoted listed papers; a comment already there is kept."""
    listed = sorted(
        {r.id: r.upvotes_baseline or 0 for r in records if r.entry is not None}.items(),
        key=lambda item: (-item[1], item[0]),
    )[:DEMO_COMMENTED_PAPERS]
    added = 0
    for n, (paper_id, _) in enumerate(listed):
        for name, body in DEMO_COMMENTS[n % 2 :: 2]:
            user = session.get(User, members[name])
            exists = session.scalar(
                select(Comment.id).where(
                    Comment.paper_id == paper_id, Comment.user_id == members[name]
                )
            )
            if user is not None and exists is None:
                add_comment(session, user, paper_id, body)
                added += 1
    return added


def _store_marker(session: Session, state: dict[str, object]) -> None:
    source, key = _MARKER
    row = session.scalar(
        select(IngestCursor).where(IngestCursor.source == source, IngestCursor.key == key)
    )
    if row is None:
        session.add(IngestCursor(source=source, key=key, state=state, updated_at=now_utc()))
    elif row.state != state:
        row.state = state
        row.updated_at = now_utc()


def is_loaded(engine: Engine, *, seed: int = 0, corpus: Path = CORPUS) -> bool:
    """True when this corpus (same file, same seed) was loaded completely into the database."""
    source, key = _MARKER
    with session_scope(engine) as session:
        state = session.scalar(
            select(IngestCursor.state).where(IngestCursor.source == source, IngestCursor.key == key)
        )
    return state == {"digest": corpus_digest(corpus), "seed": seed}


def load_demo(engine: Engine, *, seed: int = 0, corpus: Path = CORPUS) -> DemoSummary:
    """Upsert the corpus, its daily lists, the demo members and their votes (idempotent)."""
    summary = DemoSummary()
    rng = random.Random(seed)
    records = list(read_corpus(corpus))
    with session_scope(engine) as session:
        members, summary.members_created = _ensure_members(session)
    records = _arrange(records, members, rng)
    total = UpsertResult()
    for batch in _batches(records, BATCH):
        with session_scope(engine) as session:
            total += upsert_papers(session, batch)
    summary.added, summary.updated, summary.unchanged = total.added, total.updated, total.unchanged
    summary.papers = len({r.id for r in records})
    plan = _vote_plan(records, members, rng)
    for start in range(0, len(plan), BATCH):
        with session_scope(engine) as session:
            for user_id, paper_id, at in plan[start : start + BATCH]:
                summary.votes_added += cast_vote(session, user_id, paper_id, at=at).changed
    summary.votes = len(plan)
    with session_scope(engine) as session:
        summary.comments_added = _add_comments(session, records, members)
    dates = sorted({r.entry.list_date for r in records if r.entry is not None})
    summary.list_dates = len(dates)
    if dates:
        summary.first_date, summary.last_date = dates[0], dates[-1]
    with session_scope(engine) as session:
        _store_marker(session, {"digest": corpus_digest(corpus), "seed": seed})
    return summary
