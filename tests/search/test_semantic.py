"""Embeddings in the index, with the shipped model: semantic and hybrid ranking, papers not yet
embedded, re-embedding only changed text, similar papers, and the evaluation cache."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.errors import PaperNotFound
from paperwire.papers.records import PaperRecord
from paperwire.search import index
from paperwire.search.query import parse_query
from paperwire.search.service import (
    SEMANTIC_DEPTH,
    SIMILARITY_FLOOR,
    get_searcher,
    hybrid_ranking,
    search,
)
from paperwire.search.similar import similar
from tests.search.search_data import add, hide, paper


def ranked(settings: Settings, engine: Engine, query: str, mode: str) -> list[str]:
    return [r.id for r in search(settings, engine, query, mode=mode, limit=10).results]


def test_semantic_and_hybrid_find_papers_by_meaning(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    report = index.sync(settings, engine)
    assert report.embedded == 6 and report.embed_error is None
    # No word of this query is in the paper, only its meaning.
    query = "AlphaFold folding of amino-acid chains into 3D shapes"
    assert ranked(settings, engine, query, "semantic")[0] == "2606.00006"
    assert ranked(settings, engine, query, "hybrid")[0] == "2606.00006"
    page = search(settings, engine, "galaxies and halos of invisible mass", mode="hybrid")
    assert page.mode == "hybrid" and page.results[0].id == "2606.00003"


def test_hybrid_ranking_is_what_search_serves(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    # bench/scale.py times hybrid_ranking: it must give the order search serves.
    index.sync(settings, engine)
    query = "sparse models of galaxies and halos"
    served = search(settings, engine, query, mode="hybrid", limit=10).results
    searcher = get_searcher(settings)
    semantic = searcher.semantic()
    assert semantic is not None
    embedder, store = semantic
    parsed = parse_query(query)
    matches = searcher.lexical.rank(parsed, limit=SEMANTIC_DEPTH)
    vector = embedder.encode_query(parsed.semantic_text)
    hits = [hit for hit in store.search(vector, SEMANTIC_DEPTH) if hit[1] >= SIMILARITY_FLOOR]
    fused = hybrid_ranking(searcher.lexical, store, vector, parsed, matches, hits, SEMANTIC_DEPTH)
    assert len(served) > 1
    assert [pid for pid, _ in fused][:10] == [r.id for r in served]
    assert [round(score, 6) for _, score in fused][:10] == [round(r.score, 6) for r in served]


def test_only_changed_text_is_embedded_again(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine)
    assert index.sync(settings, engine).embedded == 0
    changed = corpus[0]
    add(engine, paper(changed.id, changed.title, "A new abstract about retrieval.", version=2))
    report = index.sync(settings, engine)
    assert (report.updated, report.embedded) == (1, 1)


def test_papers_not_yet_embedded_are_found_lexically(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine)
    add(engine, paper("2606.00020", "Sparse autoencoders for interpretability", "Features."))
    assert index.sync(settings, engine, embed=False).pending_embeddings == 1
    assert ranked(settings, engine, "sparse autoencoders", "hybrid")[0] == "2606.00020"
    # Meaning alone cannot find it yet: a meaning-based search says so and lets words in.
    page = search(settings, engine, "sparse autoencoders", mode="semantic")
    assert page.pending_embeddings == 1 and page.results[0].id == "2606.00020"


def test_semantic_search_respects_syntax_filters_and_hiding(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine)
    assert set(ranked(settings, engine, "language au:kaplan", "semantic")) == {"2606.00005"}
    assert "2606.00004" not in ranked(settings, engine, "reasoning -zero", "semantic")
    assert set(ranked(settings, engine, "biology cat:q-bio", "hybrid")) <= {
        "2606.00002",
        "2606.00006",
    }
    hide(engine, "2606.00006")
    assert "2606.00006" not in ranked(settings, engine, "protein structure", "semantic")


def test_similar_papers_by_embedding_and_by_words(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    by_words = [r.id for r in similar(settings, engine, "2606.00004", limit=3)]
    assert by_words and "2606.00004" not in by_words and by_words[0] == "2606.00005"
    index.sync(settings, engine)
    by_meaning = [r.id for r in similar(settings, engine, "2606.00004", limit=3)]
    assert len(by_meaning) == 3 and "2606.00004" not in by_meaning
    assert set(by_meaning[:2]) == {"2606.00001", "2606.00005"}  # the other language papers
    with pytest.raises(PaperNotFound):
        similar(settings, engine, "9999.99999")


def test_a_rebuild_is_seen_by_a_searcher_already_open(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine)
    query = "AlphaFold folding of amino-acid chains into 3D shapes"
    assert ranked(settings, engine, query, "semantic")[0] == "2606.00006"
    hide(engine, "2606.00006")
    report = index.sync(settings, engine, rebuild=True)
    # The model does not run again: the vectors come back from the database's stored embeddings.
    assert (report.added, report.embedded, report.loaded) == (5, 0, 5)
    assert "2606.00006" not in ranked(settings, engine, query, "semantic")
    assert ranked(settings, engine, "dark matter", "hybrid")[0] == "2606.00003"


def test_a_repeated_query_reuses_its_vector(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine)
    query = "galaxies and halos of invisible mass"
    first = ranked(settings, engine, query, "hybrid")
    cached = get_searcher(settings)._query_vectors[query]
    assert ranked(settings, engine, query, "semantic")[0] == first[0]
    assert ranked(settings, engine, f"{query} page two", "hybrid") != []
    # The same array object: the second search did not run the model for this text.
    assert get_searcher(settings)._query_vectors[query] is cached
    assert list(get_searcher(settings)._query_vectors)[-1] == f"{query} page two"
