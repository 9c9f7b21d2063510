"""RIS for papers (Zotero, EndNote, Mendeley, Papers read it): one ``UNPB`` (preprint) record per
paper, ``ID`` the same citation key as the paper's BibTeX entry.

A RIS record is lines of ``XX  - value`` ended by ``ER  - ``; a value has no line breaks. Every
value is put on one line (white space, line breaks included, folded to single spaces) and loses the
characters XML 1.0 and PostgreSQL text cannot hold, so no title or name can end its record or start
a tag of its own. TeX stays as written (``$x^2$``): RIS has no markup of its own to escape.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from paperwire.exports.bibtex import citation_keys
from paperwire.exports.people import person
from paperwire.papers.ids import abs_url, pdf_url
from paperwire.papers.readmodel import PaperView
from paperwire.papers.records import storable_text

MEDIA_TYPE = "application/x-research-info-systems; charset=utf-8"


def one_line(text: str) -> str:
    return " ".join(storable_text(text).split())


def _fields(item: PaperView, key: str, page_url: str | None) -> Iterator[tuple[str, str]]:
    yield "TY", "UNPB"
    yield "ID", key
    yield "TI", item.title
    for name in item.authors:
        if name.strip():
            yield "AU", person(one_line(name)).inverted
    if item.published_at:
        yield "PY", str(item.published_at.year)
        yield "DA", item.published_at.strftime("%Y/%m/%d/")
    yield "AB", item.abstract
    for category in item.categories:
        yield "KW", category
    if item.arxiv_id:
        yield "PB", "arXiv"
        yield "M1", f"arXiv:{item.arxiv_id}"
        yield "UR", abs_url(item.arxiv_id)
        yield "L1", pdf_url(item.arxiv_id)
    if page_url:
        yield "UR", page_url
    if item.doi:
        yield "DO", item.doi
    if item.journal_ref:
        yield "N1", item.journal_ref


def ris_record(item: PaperView, key: str, page_url: str | None = None) -> str:
    """One record, its lines ended with CR LF as the format asks."""
    lines = [f"{tag}  - {one_line(value)}" for tag, value in _fields(item, key, page_url)]
    lines = [line for line in lines if not line.endswith("  - ")]
    return "\r\n".join([*lines, "ER  - "]) + "\r\n"


def ris(items: Sequence[PaperView], base_url: str | None = None) -> str:
    """Records for ``items`` in order, a blank line between two; with ``base_url``, each links its
    page on this site as well."""
    return "\r\n".join(
        ris_record(item, key, f"{base_url}/papers/{item.id}" if base_url else None)
        for item, key in zip(items, citation_keys(items), strict=True)
    )
