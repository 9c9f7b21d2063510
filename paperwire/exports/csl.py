"""CSL-JSON for papers (the citation style language's data: Zotero, Pandoc, citeproc read it): one
``article`` (arXiv preprint) item per paper, ``id`` the same citation key as the paper's BibTeX
entry; names split into family and given (``exports.people``), dates as ``date-parts``.

JSON carries any text, so titles and abstracts keep their braces, quotes, TeX and line breaks;
only the characters XML 1.0 and PostgreSQL text cannot hold are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from paperwire.exports.bibtex import citation_keys
from paperwire.exports.people import person
from paperwire.papers.ids import abs_url
from paperwire.papers.readmodel import PaperView
from paperwire.papers.records import storable_text

MEDIA_TYPE = "application/vnd.citationstyles.csl+json; charset=utf-8"


def _name(name: str) -> dict[str, str]:
    who = person(storable_text(name))
    return {"literal": who.literal} if who.literal else {"family": who.family, "given": who.given}


def csl_item(item: PaperView, key: str, note: str | None = None) -> dict[str, Any]:
    """One item, empty fields left out; ``note`` (a member's own note) joins the journal
    reference in the ``note`` field."""
    data: dict[str, Any] = {
        "id": key,
        "type": "article",
        "title": " ".join(storable_text(item.title).split()),
        "author": [_name(n) for n in item.authors if n.strip()],
        "abstract": storable_text(item.abstract),
    }
    if item.published_at:
        day = item.published_at
        data["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    if item.arxiv_id:
        data |= {
            "publisher": "arXiv",
            "number": f"arXiv:{item.arxiv_id}",
            "genre": "Preprint",
            "URL": abs_url(item.arxiv_id),
        }
    if item.doi:
        data["DOI"] = storable_text(item.doi)
    if item.categories:
        data["keyword"] = ", ".join(item.categories)
    notes = [storable_text(t) for t in (item.journal_ref, note) if t and t.strip()]
    if notes:
        data["note"] = "\n\n".join(notes)
    return {k: v for k, v in data.items() if v not in ("", [], None)}


def csl_items(
    items: Sequence[PaperView], notes: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    keys = citation_keys(items)
    found = notes or {}
    return [csl_item(item, key, found.get(item.id)) for item, key in zip(items, keys, strict=True)]


def csl_json(items: Sequence[PaperView], notes: Mapping[str, str] | None = None) -> bytes:
    """``items`` as a CSL-JSON array, in order (UTF-8); ``notes``: a member's notes by paper id."""
    return orjson.dumps(csl_items(items, notes), option=orjson.OPT_INDENT_2)
