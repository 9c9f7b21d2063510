"""A ``paperwire index`` killed with SIGKILL halfway (its keyword part committed, its embeddings
under way) leaves an index that still answers keyword and semantic searches, and the next sync
completes what the killed one left: a backfill resumes after the last batch it committed."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.papers.records import PaperRecord
from paperwire.search import index, service
from paperwire.search.embedder import Embedder, Progress, load_embedder
from tests.search.faults import quasar_papers
from tests.search.search_data import TOPICS, add, backlog, paper

QUERY = "answering questions from documents"
CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]


def _found(settings: Settings, engine: Engine, query: str, mode: str) -> list[str]:
    service.forget_searchers()
    return [r.id for r in service.search(settings, engine, query, mode=mode, limit=100).results]


def _indexed(lexical_file: Path) -> int:
    try:
        with sqlite3.connect(f"file:{lexical_file}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM meta").fetchone()[0])
    except sqlite3.Error:
        return 0


def _kill_when(
    env: dict[str, str],
    args: list[str],
    ready: Callable[[], bool],
    waiting_for: str,
    meanwhile: Callable[[], None] = lambda: None,
) -> None:
    """Run ``paperwire ARGS`` and kill it with SIGKILL once ``ready()`` and ``meanwhile()`` ran;
    fails if it ends by itself first."""
    process = subprocess.Popen(
        [*CLI, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 240
        while not ready():
            if process.poll() is not None:
                _, err = process.communicate()
                raise AssertionError(f"{args} ended before it could be killed: {err!r}")
            assert time.monotonic() < deadline, f"{args} never {waiting_for}"
            time.sleep(0.02)
        meanwhile()
        assert process.poll() is None, f"{args} finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL


def test_a_sync_killed_halfway_leaves_a_usable_index_and_the_rerun_completes_it(
    settings: Settings, engine: Engine, env: dict[str, str], corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine)
    semantic_before = _found(settings, engine, QUERY, "semantic")
    assert semantic_before[0] == "2606.00001"
    new = quasar_papers(80)
    add(engine, *new)
    total = len(corpus) + len(new)
    lexical_file = index.index_dir(settings) / index.LEXICAL_FILE

    _kill_when(env, ["index"], lambda: _indexed(lexical_file) >= total, "finished the keywords")

    with sqlite3.connect(lexical_file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert len(_found(settings, engine, "quasar", "lexical")) == len(new)
    assert _found(settings, engine, QUERY, "semantic") == semantic_before

    rerun = index.sync(settings, engine)
    assert (rerun.added, rerun.updated, rerun.removed) == (0, 0, 0)
    assert rerun.embedded == len(new) and rerun.pending_embeddings == 0
    assert not list((lexical_file.parent / index.VECTORS_DIR).glob(".*.tmp"))
    found = _found(settings, engine, "quasar spectra redshift survey", "semantic")
    assert found and found[0].startswith("2607.")


BACKLOG = 480
BATCH = 16


class CountingEmbedder:
    """The shipped embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim, self.texts = inner, inner.name, inner.dim, 0

    def encode(
        self, texts: list[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.encode(texts, batch_size, progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self.inner.encode_query(text)


def _stored(database: Path) -> dict[str, tuple[object, bytes]]:
    """Each paper's stored embedding (computed_at, vector), read as another process would."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
        rows = conn.execute("SELECT paper_id, computed_at, vector FROM paper_embeddings")
        return {pid: (at, vector) for pid, at, vector in rows}


def _vectors_in_index(lexical_file: Path) -> int:
    try:
        with sqlite3.connect(f"file:{lexical_file}?mode=ro", uri=True, timeout=5) as conn:
            query = "SELECT count(*) FROM meta WHERE embedded_hash IS NOT NULL"
            return int(conn.execute(query).fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_backfill_killed_while_embedding_resumes_without_redoing_committed_work(
    settings: Settings, engine: Engine, env: dict[str, str], database_url: str
) -> None:
    papers = backlog(BACKLOG)
    add(engine, *papers)
    ids = {p.id for p in papers}
    database = Path(database_url.removeprefix("sqlite:///"))
    lexical_file = index.index_dir(settings) / index.LEXICAL_FILE
    late = paper("2609.00001", "A late arrival about tardigrade cryptobiosis", "Tardigrades.")

    def follow_new_papers() -> None:
        # Meanwhile the keyword index follows new papers: the embedding does not hold its lock.
        add(engine, late)
        followed = index.sync(settings, engine, embed=False)
        assert followed.added == 1
        assert _found(settings, engine, "tardigrade", "lexical") == [late.id]

    # Killed once a few batches are committed and some of their vectors are in the index.
    _kill_when(
        env,
        ["index", "--batch", str(BATCH)],
        lambda: len(_stored(database)) >= 3 * BATCH and _vectors_in_index(lexical_file) >= BATCH,
        "committed embeddings",
        follow_new_papers,
    )

    before = _stored(database)
    assert 3 * BATCH <= len(before) < BACKLOG
    with sqlite3.connect(lexical_file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    waiting = sorted(ids - set(before))
    # Papers without an embedding yet are found by keyword, alone and in hybrid search; a
    # meaning-based search says how many wait and lets their words in (issue 20).
    last = waiting[-1]
    tag = f"tag{int(last.split('.')[1]):04d}"
    assert _found(settings, engine, tag, "lexical") == [last]
    assert _found(settings, engine, tag, "hybrid")[0] == last
    service.forget_searchers()
    semantic = service.search(settings, engine, tag, mode="semantic", limit=100)
    # (counted by the index, which may not yet know of vectors the killed run committed)
    assert (semantic.pending_embeddings or 0) >= len(waiting) and semantic.mode == "hybrid"
    assert semantic.results[0].id == last

    embedder = CountingEmbedder(load_embedder(settings))
    rerun = index.sync(settings, engine, embedder=embedder, batch=BATCH)
    # Only what the killed run had not committed is embedded again (the late paper too).
    assert embedder.texts == rerun.embedded == len(waiting) + 1
    after = _stored(database)
    assert set(after) == ids | {late.id}
    assert all(after[pid] == stored for pid, stored in before.items())
    assert rerun.pending_embeddings == 0 and "embedded in" in rerun.summary()

    store = index.open_vectors(settings, embedder)
    assert len(store) == len(store.ids()) == BACKLOG + 1
    assert store.ids() == ids | {late.id}
    assert not list(store.folder.glob(".*.tmp"))
    topic = int(last[-5:]) % len(TOPICS)
    found = _found(settings, engine, TOPICS[topic], "semantic")
    assert last in found and all(int(pid[-5:]) % len(TOPICS) == topic for pid in found[:20])
