"""Embeddings stored in the database, computed once, and nodes whose index is a cache of it (both
databases): a second node builds its vectors from the database without the model, follows changes
through the change log, and an index pointed at another database rebuilds itself."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.engine import make_engine
from paperwire.db.migrate import upgrade
from paperwire.db.models import Paper
from paperwire.papers.records import PaperRecord
from paperwire.search import embeddings, index, service
from paperwire.search.embedder import load_embedder
from tests.search.search_data import add, hide


def test_embeddings_are_computed_once_and_read_through_one_function(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    embedder = load_embedder(settings)
    first = embeddings.embed_pending(engine, embedder)
    assert (first.embedded, first.pending) == (len(corpus), 0)
    assert embeddings.embed_pending(engine, embedder).embedded == 0
    ids = [p.id for p in corpus]
    with Session(engine) as session:
        stored = embeddings.vectors_for(session, [*ids, "no-such-paper"])
    assert set(stored) == set(ids)
    assert all(
        v.shape == (embedder.dim,) and abs(np.linalg.norm(v) - 1) < 1e-3 for v in stored.values()
    )
    # A change of links or categories only: the text, and so the vector, is the same.
    with Session(engine) as session, session.begin():
        session.execute(update(Paper).where(Paper.id == ids[0]).values(content_hash="0" * 40))
    again = embeddings.embed_pending(engine, embedder)
    assert (again.embedded, again.unchanged) == (0, 1)
    add(engine, replace(corpus[1], title="A new title altogether", version=9))
    assert embeddings.embed_pending(engine, embedder).embedded == 1
    assert embeddings.count_pending(engine) == 0


def test_a_second_node_takes_vectors_from_the_database_and_follows_changes(
    settings: Settings, engine: Engine, corpus: list[PaperRecord], tmp_path: Path
) -> None:
    built = index.sync(settings, engine)
    assert built.embedded == len(corpus)
    other = replace(settings, home=tmp_path / "node-b")
    joined = index.sync(other, engine, embed=False)
    assert (joined.added, joined.embedded, joined.loaded) == (len(corpus), 0, len(corpus))
    assert joined.pending_embeddings == 0
    page = service.search(other, engine, "protein structure prediction", mode="semantic")
    assert page.mode == "semantic" and page.results

    hide(engine, corpus[0].id)
    add(engine, replace(corpus[1], title="Rewritten on node A", version=9))
    index.sync(settings, engine)  # node A embeds the new text
    followed = index.sync(other, engine, embed=False)
    assert (followed.removed, followed.updated, followed.loaded) == (1, 1, 1)
    assert followed.pending_embeddings == 0
    lexical = index.open_lexical(other)
    assert corpus[0].id not in lexical.content_hashes()
    lexical.close()


def test_an_index_pointed_at_another_database_rebuilds_and_says_so(
    settings: Settings,
    engine: Engine,
    corpus: list[PaperRecord],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    index.sync(settings, engine, embed=False)
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    other_engine = make_engine(other_url)
    upgrade(other_engine)
    add(other_engine, corpus[0])
    with caplog.at_level(logging.WARNING):
        report = index.sync(replace(settings, database_url=other_url), other_engine, embed=False)
    assert "built from another database" in caplog.text
    assert (report.added, report.removed) == (1, 0)
    lexical = index.open_lexical(settings)
    assert set(lexical.content_hashes()) == {corpus[0].id}
    lexical.close()
    other_engine.dispose()
