"""Property tests for the query syntax: any text parses (never raises), and what comes out is
bounded and made only of words, whatever quotes, prefixes, operators and control characters came in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.search.query import MAX_QUERY_CHARS, MAX_TERMS, parse_query, words

PIECES = st.sampled_from(
    ['"', "-", "NOT", "AND", "OR", "au:", "ti:", "abs:", "cat:", "id:", "title:", ":", " ", "\u201c",
     "\u201d", "\x00", "\x01", "\ufffe", "2401.00001", "hep-th/9901001", "cs.CL", "COVID-19", "é",
     "the", "$x$", "{", "}", "\\", "\n"]
)  # fmt: skip
QUERIES = st.lists(PIECES | st.text(max_size=8), max_size=30).map("".join) | st.text()


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(QUERIES)
def test_any_text_parses(text: str) -> None:
    query = parse_query(text)
    assert len(query.terms) <= MAX_TERMS and len(query.semantic_text) <= MAX_QUERY_CHARS
    for term in query.terms:
        assert term and term.split() == words(term)
    for clause in query.required + query.excluded:
        assert clause.text.split() == words(clause.text)
    for category in query.categories + query.excluded_categories:
        assert category and not any(ch.isspace() for ch in category)
    assert "\x00" not in query.raw and all("\x00" not in i for i in query.ids)
    assert query.is_empty == (not (query.terms or query.required or query.categories or query.ids))
    query.highlight_words()


def test_long_queries_are_cut_and_said_so() -> None:
    query = parse_query("word " * 1000)
    assert query.notes and len(query.raw) == 5000
