"""Honest search states (issue 20): papers still to be embedded are said and searched by their words,
nonsense finds nothing under the similarity floor, a filter that empties the list is named with the
count it removed, and a page past the end says so."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.papers.records import PaperRecord
from paperwire.search import index
from paperwire.search.service import search
from tests.search.search_data import add, paper


def test_meaning_search_before_any_embedding_says_so_and_finds_words(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    for mode in ("semantic", "hybrid"):
        page = search(settings, engine, "graph networks", mode=mode)
        assert page.mode == "lexical"
        assert page.pending_embeddings == len(corpus)
        assert [r.id for r in page.results][:1] == ["2606.00002"]
        assert any(
            f"{len(corpus)} papers are still to be embedded" in note for note in page.notes
        ), page.notes
    # Words alone asked for: nothing to say about embeddings.
    assert search(settings, engine, "graph networks", mode="lexical").pending_embeddings is None


def test_papers_left_to_embed_are_counted_and_found_by_words(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine)
    add(engine, paper("2606.00020", "Sparse autoencoders for interpretability", "Features."))
    index.sync(settings, engine, embed=False)
    page = search(settings, engine, "sparse autoencoders", mode="semantic")
    assert page.pending_embeddings == 1
    assert page.mode == "hybrid" and page.results[0].id == "2606.00020"
    assert any("1 of " in n and "still to be embedded" in n for n in page.notes), page.notes
    index.sync(settings, engine)
    page = search(settings, engine, "sparse autoencoders", mode="semantic")
    assert page.pending_embeddings is None and page.mode == "semantic"


def test_nonsense_finds_nothing_below_the_similarity_floor(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine)
    for mode in ("semantic", "hybrid"):
        page = search(settings, engine, "qwerty zzxxyy", mode=mode)
        assert (page.total, page.results) == (0, []), (mode, [r.score for r in page.results])
        assert "no papers match this query" in page.notes
    # A real query still finds its paper by meaning alone.
    page = search(settings, engine, "galaxies and halos of invisible mass", mode="semantic")
    assert page.results and page.results[0].id == "2606.00003"


def test_a_filter_that_empties_the_list_is_named_with_what_it_removed(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    everything = search(settings, engine, "networks", mode="lexical").total
    assert everything > 0
    page = search(settings, engine, "networks", mode="lexical", categories=["astro-ph.GA"])
    assert page.results == []
    # The category removed the matches that the dates alone would keep.
    assert page.emptied_by == [("the category astro-ph.GA", everything)]
    assert f"the category astro-ph.GA removed {everything} papers" in page.notes
    page = search(settings, engine, "networks", mode="lexical", date_from=date(2030, 1, 1))
    assert page.emptied_by == [("the dates from 2030-01-01", everything)]
    # A query matching nothing at all is not blamed on a filter.
    page = search(settings, engine, "xylophone", mode="lexical", categories=["cs.CL"])
    assert page.emptied_by == [] and "no papers match this query" in page.notes


def test_a_page_past_the_end_says_how_many_pages_there_are(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    page = search(settings, engine, "networks", mode="lexical", limit=1, page=999)
    assert page.results == [] and page.total > 0 and page.past_end
    assert f"page 999 is past the end: this search has {page.pages} pages" in page.notes
    assert not search(settings, engine, "networks", mode="lexical", limit=1).past_end
