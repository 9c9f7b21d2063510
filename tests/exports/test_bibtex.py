"""BibTeX cannot be injected: every field is escaped, so a crafted category, title, DOI or journal
reference stays inside its own field when a real BibTeX parser reads the export."""

from __future__ import annotations

import pytest

from paperwire.exports.bibtex import bibtex, bibtex_fields
from tests.exports.bib import listed, parse_bibtex

CRAFTED = "cs.CL}}, note = {{x"


@pytest.mark.parametrize(
    "fields",
    [
        {"primary_category": CRAFTED, "categories": [CRAFTED]},
        {"title": "T}}, note = {{x"},
        {"title": "T}\n@misc{evil, title={x}"},
        {"doi": "10.1/x}, note = {x"},
        {"journal_ref": "J}}\n}\n@misc{evil,\n note = {x"},
        {"authors": ["Ann}, note = {x Lee"]},
        {"arxiv_id": "2401.00001}, note = {x"},
    ],
)
def test_a_crafted_field_stays_in_its_field(fields: dict[str, object]) -> None:
    item = listed(**fields)
    [entry] = parse_bibtex(bibtex([item]))
    assert "note" not in entry or "journal_ref" in fields
    expected = {name.lower(): value for name, value in bibtex_fields(item)}
    assert {k: v for k, v in entry.items() if k not in ("ENTRYTYPE", "ID")} == expected


def test_the_crafted_category_is_kept_as_text() -> None:
    [entry] = parse_bibtex(bibtex([listed(primary_category=CRAFTED)]))
    assert entry["primaryclass"] == "cs.CL, note = x"
    assert set(entry) == {
        "ENTRYTYPE", "ID", "title", "author", "year", "month", "eprint", "archiveprefix", "url",
        "primaryclass",
    }  # fmt: skip


def test_entries_keep_their_keys_and_count() -> None:
    items = [listed(), listed(), listed(title="x}\n@misc{evil,")]
    entries = parse_bibtex(bibtex(items))
    assert [e["ID"] for e in entries] == ["lee2024title", "lee2024titlea", "lee2024x"]
