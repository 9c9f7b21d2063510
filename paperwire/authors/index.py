"""The author index: one ``paper_authors`` row per author of each paper, with its name form.

Derived data, like the search index: ``sync_authors`` (run by the worker's ``enrich`` job and by
``paperwire authors sync``, after every ingest and by each serving node's follower) writes rows for
papers that have none or whose content changed since, in batches that each commit, so a run killed
halfway is finished by the next one. On PostgreSQL a batch holds a transaction-scoped advisory lock
from its read to its commit, so syncs running at once (two nodes, a node and an ingest) take turns
instead of inserting the same rows twice; on SQLite the batch's first write waits for the other's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, or_, select, text
from sqlalchemy.orm import Session

from paperwire.authors.names import parse_name
from paperwire.db.models import AuthorClaim, Paper, PaperAuthor
from paperwire.papers.views import author_names

BATCH = 500
# pg_advisory_xact_lock key of the author sync (any fixed number no other code uses).
SYNC_LOCK = 0x70617065726175


@dataclass
class AuthorSyncReport:
    papers: int = 0
    authors: int = 0

    def summary(self) -> str:
        return f"authors of {self.papers} papers indexed ({self.authors} names)"


def _stale(limit: int) -> Any:
    first = and_(PaperAuthor.paper_id == Paper.id, PaperAuthor.position == 0)
    return (
        select(Paper.id, Paper.authors, Paper.content_hash)
        .outerjoin(PaperAuthor, first)
        .where(or_(PaperAuthor.paper_id.is_(None), PaperAuthor.content_hash != Paper.content_hash))
        .order_by(Paper.id)
        .limit(limit)
    )


def claimed_forms(session: Session) -> dict[str, int]:
    """Each name form of an approved claim, with the member it belongs to."""
    owners: dict[str, int] = {}
    rows = session.execute(
        select(AuthorClaim.user_id, AuthorClaim.forms).where(AuthorClaim.status == "approved")
    )
    for user_id, forms in rows:
        for form in forms or []:
            owners[str(form)] = user_id
    return owners


def author_rows(paper_id: str, authors: Any, digest: str, owners: dict[str, int]) -> list[dict]:
    """The index rows of one paper's author list."""
    rows = []
    for position, name in enumerate(author_names(authors)):
        parsed = parse_name(name)
        form = parsed.form if parsed else ""
        rows.append(
            {
                "paper_id": paper_id,
                "position": position,
                "name": name,
                "form": form,
                "family": parsed.family if parsed else "",
                "content_hash": digest,
                "claimed_by_id": owners.get(form) if form else None,
            }
        )
    return rows


def sync_authors(engine: Engine, *, batch: int = BATCH) -> AuthorSyncReport:
    """Index the authors of every paper not indexed yet or changed since (each batch committed)."""
    report = AuthorSyncReport()
    seen: set[str] = set()
    while True:
        with Session(engine) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SYNC_LOCK})
            owners = claimed_forms(session)
            # papers without authors have no row and come back each round: skip them here
            todo = [r for r in session.execute(_stale(batch + len(seen))) if r.id not in seen]
            if not todo:
                return report
            rows: list[dict] = []
            for paper_id, authors, digest in todo:
                seen.add(paper_id)
                rows += author_rows(paper_id, authors, digest, owners)
            ids = [r[0] for r in todo]
            session.execute(delete(PaperAuthor).where(PaperAuthor.paper_id.in_(ids)))
            if rows:
                session.execute(insert(PaperAuthor), rows)
            session.commit()
            report.papers += len(todo)
            report.authors += len(rows)
