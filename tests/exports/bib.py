"""Helpers for BibTeX tests: papers as exports see them, and a real BibTeX parser."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import bibtexparser
from bibtexparser.bparser import BibTexParser

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
    """Entries as a real BibTeX parser reads them (field names lower-cased, values raw)."""
    parser = BibTexParser(common_strings=False)
    parser.ignore_nonstandard_types = False
    parser.homogenize_fields = False
    return list(bibtexparser.loads(text, parser).entries)
