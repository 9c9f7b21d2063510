"""The exact top-k ranking over the postings snapshot gives exhaustive BM25's ranking: the same
papers in the same order with the same scores as FTS5 scoring every match, for any query; and
papers written after the snapshot are found, changed ones by their new text, removed ones never."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from paperwire.search import lexical as lexical_module
from paperwire.search.lexical import Filters, IndexDoc, LexicalIndex, match_expression
from paperwire.search.query import parse_query, words


def _docs(shared_data: Path) -> list[IndexDoc]:
    docs = []
    for line in (shared_data / "scifact" / "corpus.jsonl").read_text().splitlines():
        row = json.loads(line)
        docs.append(_doc(f"s{row['_id']}", row["title"], row["text"], ["q-bio.BM"]))
    snapshot = shared_data / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.sample-200.jsonl"
    for line in snapshot.read_text().splitlines():
        row = json.loads(line)
        docs.append(
            _doc(
                row["id"], row["title"], row["abstract"], row["categories"].split(), row["authors"]
            )
        )
    return docs


def _doc(pid: str, title: str, abstract: str, categories: list[str], authors: str = "") -> IndexDoc:
    return IndexDoc(
        paper_id=pid,
        title=title,
        abstract=abstract,
        authors=[a.strip() for a in authors.split(",") if a.strip()],
        categories=categories,
        published=None,
        content_hash=pid + title,
        text_hash=pid + title,
    )


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> tuple[LexicalIndex, list[str]]:
    """An index of 264 real papers with a postings snapshot, and the words of their titles."""
    index = LexicalIndex(tmp_path_factory.mktemp("postings") / "lexical.sqlite")
    docs = _docs(shared_data)
    with index.transaction() as conn:
        index.upsert(conn, docs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lexical_module, "LARGE_INDEX", 1)
        index.compact()
    assert index.snapshot() is not None
    vocabulary = sorted({w for d in docs for w in words(f"{d.title} {d.abstract}")})
    return index, vocabulary


def _same_ranking(index: LexicalIndex, text: str, k: int, filters: Filters = Filters()) -> None:
    parsed = parse_query(text)
    expression = match_expression(parsed)
    fast = index.rank(parsed, filters, limit=k)
    full = index.search(expression, filters, limit=k) if expression else []
    # Exact ties (the same text twice) may come in either order; nothing else may differ.
    assert sorted(fast, key=lambda h: (-h[1], h[0])) == sorted(full, key=lambda h: (-h[1], h[0]))
    assert [s for _, s in fast] == [s for _, s in full]


def test_real_queries_rank_exactly_as_exhaustive_bm25(
    built: tuple[LexicalIndex, list[str]], shared_data: Path
) -> None:
    index, _ = built
    queries = [
        json.loads(line)["text"]
        for line in (shared_data / "scifact" / "queries.jsonl").read_text().splitlines()
    ]
    for text in queries:
        for k in (1, 10, 100):
            _same_ranking(index, text, k)


def test_phrases_exclusions_and_filters_rank_exactly_as_exhaustive_bm25(
    built: tuple[LexicalIndex, list[str]],
) -> None:
    index, _ = built
    _same_ranking(index, "COVID-19 cross sections at high energies", 10)  # a compound: a phrase
    _same_ranking(index, "production of cells -cancer", 10)
    _same_ranking(index, "gauge theory of cells", 10, Filters(categories=("hep-th",)))
    _same_ranking(index, "gauge theory of cells", 10, Filters(excluded_categories=("hep",)))


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_words_rank_exactly_as_exhaustive_bm25(
    built: tuple[LexicalIndex, list[str]], data: st.DataObject
) -> None:
    index, vocabulary = built
    picked = data.draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=12))
    k = data.draw(st.sampled_from([1, 3, 10, 50]))
    _same_ranking(index, " ".join(picked), k)
    # Any paper's score, as hybrid search asks for papers the top k left out.
    papers = [pid for (pid,) in index.conn.execute("SELECT paper_id FROM meta")]
    some = data.draw(st.lists(st.sampled_from(papers), max_size=20))
    parsed = parse_query(" ".join(picked))
    expression = match_expression(parsed)
    assert expression is not None
    assert index.scores_of(parsed, some) == index.scores_for(expression, some)
    assert index.count(parsed, Filters(), 10**6) == len(index.search(expression, limit=10**6))


def test_papers_written_after_the_snapshot_are_ranked_too(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lexical_module, "LARGE_INDEX", 1)
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    docs = _docs(shared_data)
    with index.transaction() as conn:
        index.upsert(conn, docs)
    index.compact()
    changed, removed = docs[0], docs[1]
    with index.transaction() as conn:
        index.upsert(conn, [_doc("new", "Zwitterionic quasicrystals", "A zwitterion.", ["cs.LG"])])
        index.upsert(
            conn, [_doc(changed.paper_id, "Ferrofluid lattices", "Ferrofluid.", ["cs.LG"])]
        )
        index.remove(conn, [removed.paper_id])
    assert index.postings_behind() == 4  # two new rows, two left behind

    def found(text: str) -> list[str]:
        return [pid for pid, _ in index.rank(parse_query(text), limit=1000)]

    assert found("zwitterionic") == ["new"]
    assert found("ferrofluid") == [changed.paper_id]
    old_word = max(words(changed.title), key=len)
    assert changed.paper_id not in found(old_word)
    assert removed.paper_id not in found(removed.title)
    index.refresh_postings()
    assert index.postings_behind() == 0
    assert set(found("zwitterionic ferrofluid")) == {"new", changed.paper_id}
    _same_ranking(index, f"zwitterionic ferrofluid {removed.title}", 10)


def test_a_small_index_has_no_snapshot(tmp_path: Path, shared_data: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    with index.transaction() as conn:
        index.upsert(conn, _docs(shared_data)[:20])
    index.compact()
    assert index.snapshot() is None
    assert not index.postings_folder.exists()
    _same_ranking(index, "cells", 10)
