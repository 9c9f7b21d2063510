"""Helpers for BibTeX tests: papers as exports see them, and a real BibTeX parser."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import bibtexparser
from bibtexparser.bparser import BibTexParser

from paperwire.db.models import Paper
from paperwire.papers.listing import ListedPaper


def listed(**fields: Any) -> ListedPaper:
    values: dict[str, Any] = {
        "id": "2401.00001",
        "arxiv_id": "2401.00001",
        "title": "A title",
        "authors": ["Ann Lee"],
        "categories": ["cs.CL"],
        "primary_category": "cs.CL",
        "published_at": datetime(2024, 1, 2),
    }
    values.update(fields)
    return ListedPaper(paper=Paper(**values), entry=None, submitter=None, upvotes=0, comments=0)


def parse_bibtex(text: str) -> list[dict[str, str]]:
    """Entries as a real BibTeX parser reads them (field names lower-cased, values raw)."""
    parser = BibTexParser(common_strings=False)
    parser.ignore_nonstandard_types = False
    parser.homogenize_fields = False
    return list(bibtexparser.loads(text, parser).entries)
