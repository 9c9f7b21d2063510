"""The search index when the disk fills up during a sync, on a real full file system (a small
tmpfs): the sync fails with a clear error (exit code 74 from the CLI), searches keep answering from
the last complete sync, nothing is marked done that was not written, and the next sync, once there
is space, completes the work."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.errors import IndexWriteFailed
from paperwire.papers.records import PaperRecord
from paperwire.search import index, service
from tests.search.faults import fill, quasar_papers, small_disk
from tests.search.search_data import add


@pytest.fixture
def index_disk(settings: Settings) -> Iterator[Path]:
    with small_disk(index.index_dir(settings)) as folder:
        yield folder
        service.forget_searchers()


def _found(settings: Settings, engine: Engine, query: str, mode: str = "lexical") -> list[str]:
    service.forget_searchers()  # a fresh searcher opens the files as a new web worker would
    page = service.search(settings, engine, query, mode=mode, limit=100)
    return [r.id for r in page.results]


def _healthy(folder: Path) -> None:
    with sqlite3.connect(folder / index.LEXICAL_FILE) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_disk_full_during_the_keyword_sync(
    settings: Settings,
    engine: Engine,
    env: dict[str, str],
    corpus: list[PaperRecord],
    index_disk: Path,
) -> None:
    index.sync(settings, engine, embed=False)
    before = _found(settings, engine, "retrieval passages")
    assert before[0] == "2606.00001"
    add(engine, *quasar_papers(300))
    ballast = fill(index_disk, leave=192 * 1024)

    failed = subprocess.run(
        [sys.executable, "-c", "from paperwire.cli import main; main()", "index", "--no-embed"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert failed.returncode == IndexWriteFailed.exit_code == 74, failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the search index in"), failed.stderr
    assert "disk is full" in lines[0] and "paperwire index" in lines[0]
    assert "Traceback" not in failed.stderr

    _healthy(index_disk)
    assert _found(settings, engine, "retrieval passages") == before  # the last good state
    assert _found(settings, engine, "quasar") == []  # nothing half indexed

    ballast.unlink()
    repaired = index.sync(settings, engine, embed=False)
    # The failed sync did not move the index's place in the change log: the 300 are looked at again.
    assert (repaired.added, repaired.unchanged) == (300, 0)
    assert len(_found(settings, engine, "quasar")) == 100
    _healthy(index_disk)


def test_disk_full_while_the_vectors_are_written(
    settings: Settings, engine: Engine, corpus: list[PaperRecord], index_disk: Path
) -> None:
    index.sync(settings, engine)
    semantic_before = _found(settings, engine, "answering questions from documents", "semantic")
    assert semantic_before[0] == "2606.00001"
    new = quasar_papers(40)
    add(engine, *new)
    assert index.sync(settings, engine, embed=False).added == len(new)
    ballast = fill(index_disk, leave=16 * 1024)

    with pytest.raises(IndexWriteFailed, match="could not be written"):
        index.sync(settings, engine)

    lexical = index.open_lexical(settings)
    try:
        assert lexical.count_unembedded() == len(new)  # none marked embedded without its vector
    finally:
        lexical.close()
    assert _found(settings, engine, "answering questions from documents", "semantic") == (
        semantic_before
    )
    assert len(_found(settings, engine, "quasar")) == len(new)  # keyword search has them all

    ballast.unlink()
    repaired = index.sync(settings, engine)
    # The embeddings reached the database before the disk refused the vectors: no model run again.
    assert (repaired.embedded, repaired.loaded, repaired.pending_embeddings) == (0, len(new), 0)
    assert not list((index_disk / index.VECTORS_DIR).glob(".*.tmp"))
    found = _found(settings, engine, "quasar spectra redshift survey", "semantic")
    assert found and found[0].startswith("2607.")
