"""Papers, subscribers and paperwire processes for the digest tests."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, insert

from paperwire.db.engine import session_scope
from paperwire.db.models import Subscription
from paperwire.papers.records import EntryRecord, PaperRecord

FRIDAY = date(2026, 6, 5)
SATURDAY = date(2026, 6, 6)
MONDAY = date(2026, 6, 8)
BASE_URL = "https://papers.example.org"


def paper(
    pid: str,
    title: str,
    day: date | None,
    *,
    abstract: str = "",
    published: datetime = datetime(2026, 6, 1, 18),
    categories: tuple[str, ...] = ("cs.CL",),
    baseline: int = 0,
) -> PaperRecord:
    entry = None
    if day is not None:
        entry = EntryRecord(
            list_date=day, source="test", submitted_at=datetime(day.year, day.month, day.day, 9)
        )
    return PaperRecord(
        id=pid,
        arxiv_id=pid,
        version=1,
        title=title,
        source="test",
        abstract=abstract or f"The abstract of {title}.",
        authors=["Ada Lovelace", "Alan Turing"],
        categories=list(categories),
        published_at=published,
        upvotes_baseline=baseline,
        entry=entry,
    )


PAPERS = [
    paper("2606.00001", "Trending on Friday: attention everywhere", FRIDAY, baseline=9),
    paper("2606.00002", "Also on Friday: a smaller model", FRIDAY, baseline=2),
    # In no daily list but announced on Friday: only a topic or a category brings it.
    paper(
        "2606.00003",
        "Protein folding with diffusion",
        None,
        abstract="We fold proteins with a diffusion model.",
        published=datetime(2026, 6, 5, 18),
        categories=("q-bio.BM",),
    ),
    paper(
        "2606.00004",
        "Galaxy rotation curves revisited",
        None,
        published=datetime(2026, 6, 5, 18),
        categories=("astro-ph.GA",),
    ),
    # An old protein folding paper: matches the topic but is not new on Friday.
    paper("2601.00005", "Protein folding in 2025", None, published=datetime(2026, 1, 5, 18)),
    paper("2606.00006", "Monday's paper on protein folding", MONDAY, baseline=1),
]


def add_subscribers(
    engine: Engine, count: int, *, status: str = "active", topics: list[str] | None = None
) -> list[str]:
    now = datetime(2026, 6, 1)
    emails = [f"reader{i:05d}@example.org" for i in range(count)]
    with session_scope(engine) as session:
        session.execute(
            insert(Subscription),
            [
                {
                    "email": address,
                    "frequency": "daily",
                    "topics": topics or [],
                    "categories": [],
                    "status": status,
                    "skip_empty": False,
                    "link_version": 1,
                    "created_at": now,
                    "confirmed_at": now if status == "active" else None,
                    "updated_at": now,
                }
                for address in emails
            ],
        )
    return emails


def paperwire(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).parent / "paperwire"
    return subprocess.Popen(
        [str(script), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def run(env: dict[str, str], *args: str) -> str:
    process = paperwire(env, *args)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err.decode()
    return out.decode()
