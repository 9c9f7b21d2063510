"""Property test for BibTeX output: any stored text in any field gives entries that a real BibTeX
parser reads back as exactly the entries and field values written (nothing injected, nothing lost)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.exports.bibtex import bibtex, bibtex_fields, citation_key
from tests.exports.bib import listed, parse_bibtex

TEXT = st.text(
    st.sampled_from([*list("ab Z0.,;:/$\\{}&%#_@\"'=-()\n\t"), "\x00", "\x01", "\ufffe", "é"]),
    max_size=30,
) | st.text(max_size=10)


@st.composite
def papers(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    category = draw(TEXT)
    return listed(
        id=draw(st.sampled_from(["2401.00001", "hep-th/9901001"])),
        arxiv_id=draw(st.none() | TEXT),
        title=draw(TEXT),
        authors=draw(
            st.lists(TEXT | st.sampled_from([" ", ",", ", Ann", "Lee,", "\x00"]), max_size=3)
        ),
        primary_category=category or None,
        categories=[category],
        doi=draw(st.none() | TEXT),
        journal_ref=draw(st.none() | TEXT),
        published_at=draw(st.none() | st.just(datetime(2024, 3, 7))),
    )


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(papers(), min_size=1, max_size=3))
def test_bibtex_round_trips_through_a_parser(items: list) -> None:  # type: ignore[type-arg]
    entries = parse_bibtex(bibtex(items))
    assert len(entries) == len(items)
    for entry, item in zip(entries, items, strict=True):
        assert entry["ENTRYTYPE"] == "misc"
        assert entry["ID"].startswith(citation_key(item))
        written = {n.lower(): v for n, v in bibtex_fields(item)}
        assert {k: v for k, v in entry.items() if k not in ("ENTRYTYPE", "ID")} == written
