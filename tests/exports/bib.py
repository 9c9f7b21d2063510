"""Helpers for BibTeX tests: papers as exports see them, and a real BibTeX parser."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import bibtexparser

from paperwire.papers.readmodel import PaperView, paper_links


def listed(**fields: Any) -> PaperView:
    """A paper as the read model gives it to every renderer."""
    values: dict[str, Any] = {
        "id": "2401.00001",
        "arxiv_id": "2401.00001",
        "version": None,
        "title": "A title",
        "abstract": "",
        "authors": ["Ann Lee"],
        "categories": ["cs.CL"],
        "primary_category": "cs.CL",
        "published_at": datetime(2024, 1, 2),
        "updated_at": None,
        "doi": None,
        "journal_ref": None,
        "comments": None,
        "upvotes": 0,
        "comment_count": 0,
    }
    values.update(fields)
    values["authors"] = tuple(values["authors"])
    values["categories"] = tuple(values["categories"])
    values["links"] = paper_links(values["arxiv_id"], [], {})
    return PaperView(**values)


def parse_bibtex(text: str) -> list[dict[str, str]]:
    """Entries as a real BibTeX parser (bibtexparser 2, the one imports use) reads them: field
    names lower-cased, values as written inside their outer braces, ``ENTRYTYPE`` and ``ID`` added.
    A block it cannot read fails the test (it would hide an entry that broke out of its field)."""
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.raw for b in library.failed_blocks]
    return [
        {"ENTRYTYPE": e.entry_type, "ID": e.key, **{f.key.lower(): f.value for f in e.fields}}
        for e in library.entries
    ]
