"""A ``paperwire index`` killed with SIGKILL halfway (its keyword part committed, its embeddings
under way) leaves an index that still answers keyword and semantic searches, and the next sync
completes what the killed one left."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.papers.records import PaperRecord
from paperwire.search import index, service
from tests.search.faults import quasar_papers
from tests.search.search_data import add

QUERY = "answering questions from documents"


def _found(settings: Settings, engine: Engine, query: str, mode: str) -> list[str]:
    service.forget_searchers()
    return [r.id for r in service.search(settings, engine, query, mode=mode, limit=100).results]


def _indexed(lexical_file: Path) -> int:
    try:
        with sqlite3.connect(f"file:{lexical_file}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM meta").fetchone()[0])
    except sqlite3.Error:
        return 0


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

    process = subprocess.Popen(
        [sys.executable, "-c", "from paperwire.cli import main; main()", "index"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while _indexed(lexical_file) < total:
            if process.poll() is not None:
                _, err = process.communicate()
                raise AssertionError(f"the sync ended before it could be killed: {err!r}")
            assert time.monotonic() < deadline, "the keyword part never finished"
            time.sleep(0.05)
        assert process.poll() is None, "the sync finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL

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
