"""An ingest killed (SIGKILL) after its last commit but before indexing is completed by its rerun,
on SQLite and PostgreSQL: the rerun finds every paper "unchanged" and indexes them all the same, so
keyword search finds them and their author pages exist. And a serving node brings the author index
(``paper_authors``) current by itself, as it does its search index, for papers whose ingest died.

The kill is real: the ingest runs as ``paperwire ingest hf`` in a process of its own whose indexing
step (``cli.context.refresh_search_index``) is replaced, in that process only, by a SIGKILL of
itself, so it dies at exactly that point, after the commit, every time."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperwire.authors.names import name_slug
from paperwire.authors.pages import author_page
from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import Paper, PaperAuthor
from paperwire.ingest import hf
from paperwire.papers.records import PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.search.index import open_lexical
from tests.conftest import FIXTURE_DATA
from tests.web.served import start_site

LIST = FIXTURE_DATA / "hf_daily_papers" / "daily_papers_2024-05-27.json"
# ``paperwire`` with its indexing step replaced by a SIGKILL of the process itself.
KILLED_BEFORE_INDEXING = """
import os, signal
import paperwire.cli.context as context
context.refresh_search_index = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
from paperwire.cli import main
main()
"""


def _papers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(Paper.id)))


def _with_authors(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(PaperAuthor.paper_id).distinct()))


def _indexed(env: dict[str, str]) -> set[str]:
    lexical = open_lexical(load_settings(env))
    try:
        return set(lexical.content_hashes())
    finally:
        lexical.close()


def _an_author_slug(engine: Engine) -> str:
    with engine.connect() as conn:
        authors = conn.scalar(select(Paper.authors).order_by(Paper.id).limit(1))
    name = authors[0]["name"] if isinstance(authors[0], dict) else authors[0]
    slug = name_slug(name)
    assert slug
    return slug


def test_a_rerun_indexes_what_an_ingest_killed_before_indexing_stored(
    engine: Engine, env: dict[str, str]
) -> None:
    ingest = ("ingest", "hf", "--file", str(LIST))
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_BEFORE_INDEXING, *ingest],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    stored = _papers(engine)
    assert stored and f"hf: {len(stored)} added" in killed.stdout  # committed, then killed
    assert not _with_authors(engine) and not _indexed(env) & stored

    rerun = subprocess.run(
        [sys.executable, "-c", "from paperwire.cli import main; main()", *ingest],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"hf: 0 added, 0 updated, {len(stored)} unchanged" in rerun.stdout
    assert _indexed(env) >= stored
    assert _with_authors(engine) == stored
    with Session(engine) as session:
        assert author_page(session, _an_author_slug(engine)).papers


def test_a_serving_node_indexes_the_authors_of_papers_stored_without_them(
    engine: Engine, env: dict[str, str], tmp_path: Path
) -> None:
    """Papers committed with no author rows (their ingest died), before the node started and
    while it serves: the node's follower writes their ``paper_authors`` within seconds."""
    records = [r for r in hf.read_file(LIST) if isinstance(r, PaperRecord)]
    half = len(records) // 2
    with session_scope(engine) as session:
        upsert_papers(session, records[:half])
    with start_site(env, tmp_path / "serve.log") as site:
        deadline = time.monotonic() + 10
        while _with_authors(engine) != _papers(engine):
            assert time.monotonic() < deadline, "the node did not index the authors at start"
            time.sleep(0.05)
        with session_scope(engine) as session:
            upsert_papers(session, records[half:])
        deadline = time.monotonic() + 10
        while _with_authors(engine) != _papers(engine):
            assert time.monotonic() < deadline, "the node did not index new papers' authors"
            time.sleep(0.05)
        slug = _an_author_slug(engine)
        assert httpx.get(f"{site.url}/authors/{slug}", timeout=30).status_code == 200
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Paper)) == len(records)


def test_author_syncs_running_at_once_take_turns(engine: Engine) -> None:
    """Two nodes' followers and an ingest may sync the author index together: none fails, and
    every paper's rows are written once (on PostgreSQL both would insert the same keys)."""
    from concurrent.futures import ThreadPoolExecutor

    from paperwire.authors.index import sync_authors

    records = [r for r in hf.read_file(LIST) if isinstance(r, PaperRecord)]
    with session_scope(engine) as session:
        upsert_papers(session, records)
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(lambda _: sync_authors(engine, batch=2), range(4)))
    assert sum(r.papers for r in reports) >= len(records)
    assert _with_authors(engine) == _papers(engine)
    with engine.connect() as conn:
        rows = conn.scalar(select(func.count()).select_from(PaperAuthor))
    assert rows == sum(len(r.authors) for r in records)
