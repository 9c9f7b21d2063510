"""The derived index on both databases: incremental sync (add, update, hide, delete), rebuild,
query syntax, filters, sorting, pagination, snippets and bad input, all through ``service.search``."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine, delete

from paperwire.config import Settings
from paperwire.db.engine import session_scope
from paperwire.db.models import Paper
from paperwire.errors import UsageError
from paperwire.papers.records import PaperRecord
from paperwire.search import index
from paperwire.search.lexical import match_expression
from paperwire.search.query import parse_query
from paperwire.search.service import search
from tests.search.search_data import add, hide, paper


def ids(settings: Settings, engine: Engine, query: str, **options: object) -> list[str]:
    options.setdefault("mode", "lexical")
    page = search(settings, engine, query, **options)  # type: ignore[arg-type]
    return [r.id for r in page.results]


def test_sync_processes_only_new_and_changed_papers(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    first = index.sync(settings, engine, embed=False)
    assert (first.added, first.updated, first.unchanged) == (6, 0, 0)
    # Later syncs look only at the papers the database's change log names.
    again = index.sync(settings, engine, embed=False)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 0)

    add(engine, paper("2606.00007", "Diffusion models beat GANs", "Denoising diffusion wins."))
    old = corpus[2]
    add(
        engine,
        paper(
            old.id,
            "Dark matter halos revisited",
            "Warm dark matter changes the halo concentration.",
            version=2,
            categories=("astro-ph.CO",),
        ),
    )
    third = index.sync(settings, engine, embed=False)
    assert (third.added, third.updated, third.unchanged) == (1, 1, 0)
    assert ids(settings, engine, "diffusion") == ["2606.00007"]
    assert ids(settings, engine, "concentration") == [old.id]
    assert ids(settings, engine, "rotation curves") == []  # the old abstract is gone


def test_hidden_and_deleted_papers_disappear(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    assert ids(settings, engine, "language models") != []
    hide(engine, "2606.00004")
    with session_scope(engine) as session:
        session.execute(delete(Paper).where(Paper.id == "2606.00005"))
    report = index.sync(settings, engine, embed=False)
    assert report.removed == 2
    found = ids(settings, engine, "language models")
    assert "2606.00004" not in found and "2606.00005" not in found


def test_hidden_papers_are_not_shown_even_before_a_sync(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    hide(engine, "2606.00003")
    assert ids(settings, engine, "dark matter") == []


def test_refresh_after_a_bulk_ingest_leaves_embedding_for_later(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    bulk = index.refresh(settings, engine, embed_limit=len(corpus) - 1)
    assert (bulk.added, bulk.embedded, bulk.pending_embeddings) == (len(corpus), 0, len(corpus))
    assert ids(settings, engine, "molecule") == ["2606.00002"]  # waiting papers: found by keyword
    small = index.refresh(settings, engine, embed_limit=len(corpus))
    assert (small.added, small.embedded, small.pending_embeddings) == (0, len(corpus), 0)


def test_rebuild_starts_from_nothing_and_finds_the_same(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    before = ids(settings, engine, "protein structure")
    report = index.sync(settings, engine, rebuild=True, embed=False)
    assert report.added == 6
    assert ids(settings, engine, "protein structure") == before == ["2606.00006"]


def test_an_empty_index_says_how_to_build_it(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    page = search(settings, engine, "graph", mode="lexical")
    assert page.results == [] and any("paperwire index" in n for n in page.notes)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"language models"', {"2606.00004", "2606.00005"}),
        ("language -scaling", {"2606.00004"}),
        ('language -"zero-shot"', {"2606.00005"}),
        ("au:kaplan", {"2606.00005"}),
        ('author:"John Jumper"', {"2606.00006"}),
        ("ti:language", {"2606.00004", "2606.00005"}),
        ('title:"neural networks"', {"2606.00002"}),
        ("language cat:cs.LG", {"2606.00005"}),
        ("cat:q-bio", {"2606.00002", "2606.00006"}),
        ("prediction -cat:cs.LG", set()),
        ("id:2606.00003", {"2606.00003"}),
        ("id:https://arxiv.org/abs/2606.00003v2", {"2606.00003"}),
        ("networks NOT graph", {"2606.00006"}),
    ],
)
def test_query_syntax(
    settings: Settings,
    engine: Engine,
    corpus: list[PaperRecord],
    query: str,
    expected: set[str],
) -> None:
    index.sync(settings, engine, embed=False)
    assert set(ids(settings, engine, query)) == expected


def test_stemming_and_title_weight(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    # "predicting" meets "prediction"/"predicts" through Porter stemming; the paper with the word in
    # its title ranks first.
    found = ids(settings, engine, "predicting")
    assert found[0] in {"2606.00002", "2606.00006"} and len(found) == 2


def test_filters_sorting_and_pagination(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    query = "models language networks prediction answering"
    everything = ids(settings, engine, query, limit=50)
    assert len(everything) == 5
    by_date = ids(settings, engine, query, sort="date", limit=50)
    assert by_date == ["2606.00006", "2606.00005", "2606.00004", "2606.00002", "2606.00001"]
    by_votes = ids(settings, engine, query, sort="votes", limit=50)
    assert by_votes == ["2606.00004", "2606.00006", "2606.00005", "2606.00001", "2606.00002"]
    pages = [ids(settings, engine, query, sort="date", limit=2, page=p) for p in (1, 2, 3, 4)]
    assert [pid for page in pages for pid in page] == by_date and pages[3] == []
    page = search(settings, engine, query, mode="lexical", limit=2)
    assert (page.total, page.pages) == (5, 3)
    in_june = ids(settings, engine, query, date_from=date(2026, 6, 2), date_to=date(2026, 6, 3))
    assert set(in_june) == {"2606.00004", "2606.00005"}
    assert set(ids(settings, engine, query, categories=["q-bio.BM"])) == {
        "2606.00002",
        "2606.00006",
    }
    # Filters alone list the newest matching papers.
    assert ids(settings, engine, "", categories=["cs"]) == [
        "2606.00006",
        "2606.00005",
        "2606.00004",
        "2606.00002",
        "2606.00001",
    ]


def test_results_carry_card_data_and_safe_highlighted_snippets(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    add(
        engine,
        paper(
            "2606.00009",
            "Attacks on <b>retrieval</b> systems",
            'Our retrieval attack injects <script>alert("x")</script> into $a<b$ passages.',
            published=datetime(2026, 6, 5),
        ),
    )
    index.sync(settings, engine, embed=False)
    page = search(settings, engine, "retrieval attack", mode="lexical")
    top = page.results[0]
    assert top.id == "2606.00009"
    assert top.published_at == datetime(2026, 6, 5) and top.authors == ["Ada Lovelace"]
    assert "<script>" not in top.snippet_html and "&lt;script&gt;" in top.snippet_html
    assert "<mark>attack</mark>" in top.snippet_html
    assert top.title_html == (
        "<mark>Attacks</mark> on &lt;b&gt;<mark>retrieval</mark>&lt;/b&gt; systems"
    )
    votes = {r.id: r.votes for r in search(settings, engine, "retrieval", mode="lexical").results}
    assert votes["2606.00001"] == 40


BAD_QUERIES = [
    "",
    "the of and",
    "graph " * 2500,
    '"unbalanced quote',
    "- : AND OR || au: ti: cat:",
    "$\\mathcal{O}(n^2)$ and \\frac{\\alpha}{\\beta}",
    "量子重力 Гравитация",
    "-graph",
    '"" -"" NOT',
    "x\x00y",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_input_gives_results_or_a_note(
    settings: Settings, engine: Engine, corpus: list[PaperRecord], query: str
) -> None:
    index.sync(settings, engine, embed=False)
    page = search(settings, engine, query, mode="lexical")
    assert page.results or page.notes


def test_non_latin_scripts_are_searchable(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    add(engine, paper("2606.00010", "Квантовая гравитация", "Петля и струна: обзор."))
    index.sync(settings, engine, embed=False)
    assert ids(settings, engine, "гравитация") == ["2606.00010"]
    assert ids(settings, engine, "Гравитация -струна") == []


def test_stop_word_queries_still_find_papers(
    settings: Settings, engine: Engine, corpus: list[PaperRecord]
) -> None:
    index.sync(settings, engine, embed=False)
    assert ids(settings, engine, "the of and") != []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "fuzzy"}, "mode must be one of"),
        ({"sort": "random"}, "sort must be one of"),
        ({"limit": 0}, "limit must be between"),
        ({"page": 0}, "page must be 1 or more"),
        ({"date_from": date(2026, 6, 2), "date_to": date(2026, 6, 1)}, "date range is empty"),
    ],
)
def test_bad_options_are_usage_errors(
    settings: Settings, engine: Engine, options: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        search(settings, engine, "graph", **options)  # type: ignore[arg-type]


def test_a_large_index_ranks_free_words_exactly_over_its_postings_snapshot(
    settings: Settings, engine: Engine, corpus: list[PaperRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    index.sync(settings, engine, embed=False)
    lexical = index.open_lexical(settings)
    assert lexical.snapshot() is None  # a small index: FTS5 scores every match
    monkeypatch.setattr("paperwire.search.lexical.LARGE_INDEX", 1)
    index.sync(settings, engine, embed=False)  # nothing changed, but a large index needs one
    assert lexical.snapshot() is not None
    query = "models protein halos kaplan"
    exhaustive = [pid for pid, _ in lexical.search(match_expression(parse_query(query)))]
    assert exhaustive and ids(settings, engine, query, mode="lexical") == exhaustive
    lexical.close()


def test_a_sync_writes_a_new_snapshot_once_enough_papers_were_written_since(
    settings: Settings, engine: Engine, corpus: list[PaperRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("paperwire.search.lexical.LARGE_INDEX", 1)
    index.sync(settings, engine, embed=False)
    lexical = index.open_lexical(settings)
    first = lexical.get_state("postings")
    add(engine, paper("2607.00001", "Zwitterionic quasicrystals", "A zwitterion lattice."))
    monkeypatch.setattr("paperwire.search.index.COMPACT_SHARE", 1.0)
    monkeypatch.setattr("paperwire.search.lexical.POSTINGS_BEHIND", 0.5)
    index.sync(settings, engine, embed=False)
    assert lexical.get_state("postings") == first  # one paper behind: FTS5 ranks it meanwhile
    assert lexical.postings_behind() == 1
    assert ids(settings, engine, "zwitterionic", mode="lexical") == ["2607.00001"]
    monkeypatch.setattr("paperwire.search.lexical.POSTINGS_BEHIND", 0.0)
    index.sync(settings, engine, embed=False)
    assert lexical.get_state("postings") != first
    assert lexical.postings_behind() == 0
    assert ids(settings, engine, "zwitterionic", mode="lexical") == ["2607.00001"]
    lexical.close()
