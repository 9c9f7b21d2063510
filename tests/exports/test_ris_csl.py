"""RIS and CSL-JSON read back by real parsers (rispy; citeproc-py rendering a bibliography), with
BibTeX beside them: TeX, non-ASCII names, a 500-author paper and hostile titles (braces, quotes,
line breaks, control characters) come through intact or safely folded, one record per paper."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import bibtexparser
import orjson
import pytest
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON

from paperwire.exports.bibtex import bibtex, citation_keys
from paperwire.exports.csl import csl_json
from paperwire.exports.people import person
from paperwire.exports.ris import ris
from paperwire.papers.readmodel import PaperView, paper_links

MANY = [f"Author{i} Surname{i}" for i in range(500)]
NAMES = ["Zoë Müller", "Łukasz Kaiser", "Müller, Zoë", "李明", "Jean-Pierre de la Tour", "Plato"]
TEX = r"$\alpha$-Nets: bounds on $x^2$ for {all} \emph{inputs} & 100% of $\{a, b\}$"
HOSTILE = [
    "Braces {never} {closed and \"quotes\" and 'apostrophes'",
    "A line\nER  - \nTY  - JOUR\nTI  - injected",
    "Control\x00char\x07acters\x1b[31m and a\ttab",
    "}\n@misc{evil, title={x}",
    "<script>alert(1)</script> & &amp;",
]


def listed(**fields: Any) -> PaperView:
    """A paper as the read model gives it to every renderer."""
    values: dict[str, Any] = {
        "id": "2401.00001",
        "arxiv_id": "2401.00001",
        "version": None,
        "title": "A title",
        "abstract": "",
        "authors": ("Ann Lee",),
        "categories": ("cs.CL",),
        "primary_category": "cs.CL",
        "published_at": datetime(2024, 1, 2),
        "updated_at": None,
        "doi": None,
        "journal_ref": None,
        "comments": None,
        "upvotes": 0,
        "comment_count": 0,
    }
    values |= fields
    values["authors"], values["categories"] = tuple(values["authors"]), tuple(values["categories"])
    values["links"] = paper_links(values["arxiv_id"], [], {})
    return PaperView(**values)


def parse_bibtex(text: str) -> list[dict[str, str]]:
    """Entries as bibtexparser reads them (``ID`` and the fields, values raw), whether the
    installed one is 1.x or 2.x."""
    if hasattr(bibtexparser, "parse_string"):  # 2.x
        library = bibtexparser.parse_string(text)
        assert not library.failed_blocks
        return [
            {"ID": e.key, **{f.key.lower(): str(f.value) for f in e.fields}}
            for e in library.entries
        ]
    return [dict(e) for e in bibtexparser.loads(text).entries]


def _bibliography(data: bytes) -> list[str]:
    """CSL-JSON rendered by citeproc-py in the Harvard style it bundles, one string per item."""
    items = orjson.loads(data)
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, citeproc_formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in bibliography.bibliography()]


def _folded(text: str) -> str:
    return " ".join("".join(c for c in text if c >= " " or c in "\t\n\r").split())


@pytest.mark.parametrize("title", [TEX, *HOSTILE])
def test_titles_round_trip(title: str) -> None:
    items = [listed(title=title, abstract=title), listed(id="2401.00002", arxiv_id="2401.00002")]
    want = _folded(title)

    records = rispy.loads(ris(items, "https://papers.example.org"))
    assert len(records) == 2  # nothing in a title starts a record or a tag
    assert records[0]["title"] == want and records[0]["abstract"] == want
    assert records[0]["type_of_reference"] == "UNPB" and records[1]["title"] == "A title"
    assert records[0]["id"] == citation_keys(items)[0]

    csl = orjson.loads(csl_json(items))
    assert len(csl) == 2 and csl[0]["title"] == want
    # JSON holds every character but the unstorable ones: line breaks of an abstract stay.
    assert csl[0]["abstract"] == "".join(c for c in title if c >= " " or c in "\t\n\r")
    rendered = _bibliography(csl_json(items))
    assert len(rendered) == 2 and any("Lee" in entry for entry in rendered)

    entries = parse_bibtex(bibtex(items))
    assert len(entries) == 2 and entries[1]["title"] == "{A title}"


def test_tex_is_kept_as_written() -> None:
    item = listed(title=TEX)
    assert rispy.loads(ris([item]))[0]["title"] == TEX
    assert orjson.loads(csl_json([item]))[0]["title"] == TEX
    assert "$\\alpha$" in parse_bibtex(bibtex([item]))[0]["title"]


def test_non_ascii_names_split_and_kept() -> None:
    item = listed(authors=NAMES)
    [record] = rispy.loads(ris([item]))
    assert record["authors"] == [
        "Müller, Zoë",
        "Kaiser, Łukasz",
        "Müller, Zoë",
        "李明",
        "Tour, Jean-Pierre de la",
        "Plato",
    ]
    [data] = orjson.loads(csl_json([item]))
    assert data["author"][:2] == [
        {"family": "Müller", "given": "Zoë"},
        {"family": "Kaiser", "given": "Łukasz"},
    ]
    assert data["author"][3] == {"literal": "李明"} and data["author"][5] == {"literal": "Plato"}
    [entry] = _bibliography(csl_json([item]))
    assert entry.startswith("Müller, Z. et al. (2024)")  # the style names four at most
    [pair] = _bibliography(csl_json([listed(authors=NAMES[:2])]))
    assert pair.startswith("Müller, Z. and Kaiser, Ł. (2024)")
    assert "Kaiser, Łukasz" in parse_bibtex(bibtex([item]))[0]["author"]


def test_five_hundred_authors() -> None:
    item = listed(authors=MANY)
    [record] = rispy.loads(ris([item]))
    assert record["authors"] == [f"Surname{i}, Author{i}" for i in range(500)]
    [data] = orjson.loads(csl_json([item]))
    assert len(data["author"]) == 500 and data["author"][499]["family"] == "Surname499"
    [entry] = _bibliography(csl_json([item]))
    assert entry.startswith("Surname0, A.")
    assert parse_bibtex(bibtex([item]))[0]["author"].count(" and ") == 499


def test_fields_reference_managers_use() -> None:
    item = listed(
        abstract="An abstract.",
        doi="10.1234/x.5",
        journal_ref="J. Test. Phys. 12 (2026) 34",
        categories=["cs.CL", "cs.LG"],
    )
    [record] = rispy.loads(ris([item], "https://papers.example.org"))
    assert record["year"] == "2024" and record["date"] == "2024/01/02/"
    assert record["doi"] == "10.1234/x.5" and record["keywords"] == ["cs.CL", "cs.LG"]
    assert record["urls"] == [
        "https://arxiv.org/abs/2401.00001",
        "https://papers.example.org/papers/2401.00001",
    ]
    assert record["file_attachments1"] == "https://arxiv.org/pdf/2401.00001"
    [data] = orjson.loads(csl_json([item]))
    expected: dict[str, Any] = {
        "id": "lee2024title",
        "type": "article",
        "title": "A title",
        "author": [{"family": "Lee", "given": "Ann"}],
        "abstract": "An abstract.",
        "issued": {"date-parts": [[2024, 1, 2]]},
        "publisher": "arXiv",
        "number": "arXiv:2401.00001",
        "genre": "Preprint",
        "URL": "https://arxiv.org/abs/2401.00001",
        "DOI": "10.1234/x.5",
        "keyword": "cs.CL, cs.LG",
        "note": "J. Test. Phys. 12 (2026) 34",
    }
    assert data == expected
    [entry] = _bibliography(csl_json([item]))
    assert entry == "Lee, A. (2024) “A title”. arXiv. Available at: https://doi.org/10.1234/x.5."


def test_keys_are_unique_and_shared_by_the_formats() -> None:
    items = [listed(), listed(id="2401.00002"), listed(id="2401.00003")]
    keys = ["lee2024title", "lee2024titlea", "lee2024titleb"]
    assert [r["id"] for r in rispy.loads(ris(items))] == keys
    assert [d["id"] for d in orjson.loads(csl_json(items))] == keys
    assert [e["ID"] for e in parse_bibtex(bibtex(items))] == keys


def test_names_that_cannot_be_split() -> None:
    assert person(", Zoë").literal == "Zoë"
    assert person("  Ann \n Lee ").family == "Lee"
    assert person("ATLAS").inverted == "ATLAS"
    [record] = rispy.loads(ris([listed(authors=["Ann Lee", "   ", "Bo"])]))
    assert record["authors"] == ["Lee, Ann", "Bo"]
