"""The query language: what each piece of syntax becomes, and odd input that must not fail."""

from __future__ import annotations

import pytest

from paperwire.search.lexical import match_expression
from paperwire.search.query import MAX_QUERY_CHARS, MAX_TERMS, Clause, parse_query


def test_free_words_drop_stop_words_and_keep_compounds_as_phrases() -> None:
    q = parse_query("The effect of COVID-19 on the lungs")
    assert q.terms == ["effect", "covid 19", "covid", "19", "lungs"]
    assert q.required == [] and q.excluded == []
    assert q.semantic_text == "The effect of COVID-19 on the lungs"


def test_quoted_phrase_is_required() -> None:
    q = parse_query('"dark matter" halos')
    assert q.required == [Clause("dark matter")]
    assert q.terms == ["halos"]


def test_exclusions_fields_categories_and_ids() -> None:
    q = parse_query(
        'au:"Yann LeCun" author:bengio ti:transformer title:"graph networks" '
        'abs:protein cat:cs.CL -cat:cs.CV id:arXiv:2403.04640v2 -llm -"language model" NOT gpt'
    )
    assert Clause("yann lecun", "authors") in q.required
    assert Clause("bengio", "authors") in q.required
    assert Clause("transformer", "title") in q.required
    assert Clause("graph networks", "title") in q.required
    assert Clause("protein", "abstract") in q.required
    assert q.categories == ["cs.CL"]
    assert q.excluded_categories == ["cs.CV"]
    assert q.ids == ["2403.04640"]
    assert q.excluded == [Clause("llm"), Clause("language model"), Clause("gpt")]
    assert q.terms == []


def test_lower_case_not_and_negative_numbers_are_words() -> None:
    q = parse_query("E2f-1, -2, -3 cells do not exhibit apoptosis")
    assert q.excluded == []
    assert "2" in q.terms and "3" in q.terms and "exhibit" in q.terms


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ('"unbalanced quote', "unbalanced quote"),
        ("x" * 10_000, f"first {MAX_QUERY_CHARS:,} characters"),
        ("graph NOT", "trailing NOT"),
        ("-llm", "not only exclusions"),
    ],
)
def test_odd_queries_are_explained(text: str, note: str) -> None:
    assert any(note in n for n in parse_query(text).notes)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "- : AND OR || ! +",
        '"',
        '""',
        '-"',
        "au: ti: cat: id:",
        "abs:\"\" ti:''",
        "$\\mathcal{O}(n^2)$ \\frac{a}{b} \\emph{x}",
        "量子重力 Гравитация خوارزمية",
        "x\x00y",
        'a"b"c',
        "(((graph)))",
        "title:*",
        "NEAR(a b) a* ^b",
    ],
)
def test_any_input_gives_a_safe_expression(text: str) -> None:
    q = parse_query(text)
    expression = match_expression(q)
    if expression is not None:
        # Every user word is inside a string literal: no FTS5 syntax can leak from the query.
        assert "*" not in expression.replace('"*"', "")
        assert expression.count('"') % 2 == 0


def test_stop_word_only_query_searches_the_stop_words() -> None:
    assert parse_query("the of and").terms == ["the", "of", "and"]


def test_long_queries_are_capped_in_words() -> None:
    q = parse_query(" ".join(f"word{i}" for i in range(500)))
    assert len(q.terms) == MAX_TERMS


def test_latex_and_non_latin_words_are_kept() -> None:
    assert parse_query("$\\alpha$-helix").terms == ["alpha helix", "alpha", "helix"]
    assert parse_query("量子 Гравитация").terms == ["量子", "гравитация"]
