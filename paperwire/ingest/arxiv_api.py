"""The arXiv API source (Atom feeds from ``export.arxiv.org/api/query``): recorded responses and live
queries paged politely through the shared ``Fetcher``.

One ``<entry>`` becomes one ``PaperRecord`` or one ``Rejection``, so counts always add up. Both the
2016 legacy feed format and the current one are read the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from paperwire.config import default
from paperwire.errors import InvalidPaperId, SourceError
from paperwire.ingest.http import Fetcher
from paperwire.ingest.report import Rejection
from paperwire.ingest.runner import Item
from paperwire.ingest.xmltext import mark_controls
from paperwire.papers.ids import parse_arxiv_id
from paperwire.papers.links import extract_links
from paperwire.papers.records import (
    EntryRecord,
    PaperRecord,
    clean_abstract,
    clean_line,
    parse_time,
)

log = logging.getLogger(__name__)

SOURCE = "arxiv"
# An error entry whose id ends so speaks for an instance without network (the demo's replay,
# ``demo/recordings.py``): its message is said as it is, not as arXiv's.
OFFLINE_ERROR_ID = "#offline"
OFFLINE = "offline"
DEFAULT_BASE_URL = default("arxiv_api_url")
MAX_PAGE = 2000  # arXiv's documented ceiling for one request
ID_CHUNK = 100  # ids per id_list request: keeps the URL short and the answer one page
EARLIEST = date(1991, 8, 1)  # arXiv's first submissions

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# No entity expansion and no network: a feed is untrusted input.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class FeedError(ValueError):
    """The bytes are not an arXiv Atom feed at all (HTML page, malformed XML, another document)."""


@dataclass
class Page:
    """One parsed response: its items in order, and the paging facts arXiv states."""

    items: list[Item] = field(default_factory=list)
    entries: int = 0
    total: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def records(self) -> list[PaperRecord]:
        return [item for item in self.items if isinstance(item, PaperRecord)]


def _looks_like_html(data: bytes) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:300].lower()
    return head.startswith(b"<!doctype html") or b"<html" in head


def _html_title(data: bytes) -> str:
    try:
        root = etree.HTML(data)
    except (etree.LxmlError, ValueError):
        return ""
    return clean_line(root.findtext(".//title")) if root is not None else ""


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text


def _int(element: etree._Element, path: str) -> int | None:
    value = _text(element, path)
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def _categories(entry: etree._Element) -> list[str]:
    primary = entry.find(f"{_ARXIV}primary_category")
    ordered = [primary.get("term")] if primary is not None else []
    ordered += [c.get("term") for c in entry.findall(f"{_ATOM}category")]
    out: list[str] = []
    for term in ordered:
        if term and term not in out:
            out.append(term)
    return out


def _authors(entry: etree._Element) -> tuple[list[str], dict[str, list[str]]]:
    names: list[str] = []
    affiliations: dict[str, list[str]] = {}
    for author in entry.findall(f"{_ATOM}author"):
        name = clean_line(_text(author, f"{_ATOM}name"))
        if not name:
            continue
        names.append(name)
        affs = [clean_line(a.text) for a in author.findall(f"{_ARXIV}affiliation") if a.text]
        if affs:
            affiliations[name] = affs
    return names, affiliations


def _is_error_entry(entry: etree._Element) -> bool:
    entry_id = _text(entry, f"{_ATOM}id") or ""
    return "/api/errors" in entry_id or (
        clean_line(_text(entry, f"{_ATOM}title")) == "Error" and "/abs/" not in entry_id
    )


def _entry_item(entry: etree._Element, where: str, submit: bool) -> Item:
    place = f"{where}:{entry.sourceline}" if entry.sourceline else where
    raw_id = clean_line(_text(entry, f"{_ATOM}id"))
    try:
        arxiv_id = parse_arxiv_id(raw_id)
    except InvalidPaperId:
        return Rejection(SOURCE, place, f"entry id is not an arXiv id: {raw_id!r}")
    title = clean_line(_text(entry, f"{_ATOM}title"))
    if not title:
        return Rejection(SOURCE, place, f"entry {arxiv_id} has no title")
    abstract = clean_abstract(_text(entry, f"{_ATOM}summary"))
    comments = clean_line(_text(entry, f"{_ARXIV}comment")) or None
    authors, affiliations = _authors(entry)
    published = parse_time(_text(entry, f"{_ATOM}published"))
    record = PaperRecord(
        id=arxiv_id.id,
        arxiv_id=arxiv_id.id,
        version=arxiv_id.version,
        title=title,
        source=SOURCE,
        abstract=abstract,
        authors=authors,
        categories=_categories(entry),
        published_at=published,
        updated_at=parse_time(_text(entry, f"{_ATOM}updated")),
        doi=clean_line(_text(entry, f"{_ARXIV}doi")) or None,
        journal_ref=clean_line(_text(entry, f"{_ARXIV}journal_ref")) or None,
        comments=comments,
        links=extract_links(abstract, comments),
        extras={"affiliations": affiliations} if affiliations else {},
        origin=place,
    )
    if submit and published is not None:
        record.entry = EntryRecord(list_date=published.date(), source="rule")
    return record


def parse_feed(data: bytes, where: str, *, submit: bool = False) -> Page:
    """Parse one API response; raise ``FeedError`` when it is not an Atom feed at all."""
    if not data.strip():
        raise FeedError("empty response, expected an Atom feed")
    if _looks_like_html(data):
        title = _html_title(data)
        shown = f" ({title!r})" if title else ""
        raise FeedError(f"an HTML page{shown} instead of an Atom feed")
    try:
        root = etree.fromstring(mark_controls(data), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"malformed XML: {exc}") from exc
    if root.tag != f"{_ATOM}feed":
        raise FeedError(f"expected an Atom <feed>, found <{etree.QName(root).localname}>")
    page = Page(total=_int(root, f"{_OPENSEARCH}totalResults"))
    for entry in root.iterfind(f"{_ATOM}entry"):
        page.entries += 1
        if _is_error_entry(entry):
            message = clean_line(_text(entry, f"{_ATOM}summary")) or "no message"
            page.errors.append(message)
            if (_text(entry, f"{_ATOM}id") or "").endswith(OFFLINE_ERROR_ID):
                page.items.append(Rejection(OFFLINE, where, message))
            else:
                page.items.append(Rejection(SOURCE, where, f"arXiv reported an error: {message}"))
        else:
            page.items.append(_entry_item(entry, where, submit))
    return page


def read_file(path: Path, *, submit: bool = False) -> Iterator[Item]:
    """Records (or rejections naming the file) from one recorded API response."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        yield Rejection(SOURCE, str(path), f"cannot read the file: {exc.strerror or exc}")
        return
    try:
        page = parse_feed(data, str(path), submit=submit)
    except FeedError as exc:
        yield Rejection(SOURCE, str(path), str(exc))
        return
    yield from page.items


# --- live queries ------------------------------------------------------------------------------


def _term(text: str) -> str:
    text = text.strip()
    return f"({text})" if " " in text else text


def build_search_query(
    query: str | None,
    categories: Iterable[str] = (),
    date_from: date | None = None,
    date_until: date | None = None,
) -> str:
    """``query AND (cat:a OR cat:b) AND submittedDate:[FROM TO UNTIL]``; parts not given are left out."""
    parts: list[str] = []
    if query and query.strip():
        parts.append(_term(query))
    cats = [c.strip() for c in categories if c.strip()]
    if cats:
        parts.append(_term(" OR ".join(f"cat:{c}" for c in cats)))
    if date_from or date_until:
        start = date_from or EARLIEST
        end = date_until or datetime.now(UTC).date()
        parts.append(f"submittedDate:[{start:%Y%m%d}0000 TO {end:%Y%m%d}2359]")
    return " AND ".join(parts)


def _get_page(fetcher: Fetcher, base_url: str, params: dict[str, Any], submit: bool) -> Page:
    """One request; an arXiv error feed (HTTP 400) becomes a page holding one rejection."""
    response = fetcher.get(base_url, params=params)
    url = str(response.url)
    if response.status_code not in (200, 400):
        raise SourceError(f"{SOURCE}: {url}: HTTP {response.status_code}")
    try:
        page = parse_feed(response.content, url, submit=submit)
    except FeedError as exc:
        if response.status_code == 400:
            raise SourceError(f"{SOURCE}: {url}: HTTP 400 ({exc})") from exc
        raise SourceError(f"{SOURCE}: {url}: {exc}") from exc
    if response.status_code == 400 and not page.errors:
        raise SourceError(f"{SOURCE}: {url}: HTTP 400 without an arXiv error message")
    return page


def _paged(
    fetcher: Fetcher,
    base_url: str,
    params: dict[str, Any],
    *,
    max_results: int | None,
    page_size: int,
    submit: bool,
) -> Iterator[Item]:
    """Page through one query with ``start``/``max_results`` until a clear stop, said in the log."""
    if max_results is not None and max_results <= 0:
        return
    size = max(1, min(page_size, MAX_PAGE))
    seen: set[str] = set()
    start = 0
    delivered = 0
    while True:
        want = size if max_results is None else min(size, max_results - delivered)
        request = {**params, "start": start, "max_results": want}
        page = _get_page(fetcher, base_url, request, submit)
        if page.errors:
            # The error entries are rejections that already name the URL.
            yield from page.items
            log.info("%s: stopped: arXiv answered with an error", SOURCE)
            return
        if page.entries == 0:
            log.info("%s: stopped: no entries at start=%d", SOURCE, start)
            return
        fresh = [r for r in page.records if r.id not in seen]
        if page.records and not fresh:
            log.info("%s: stopped: the page at start=%d repeats ids already seen", SOURCE, start)
            return
        for item in page.items:
            if isinstance(item, PaperRecord):
                if item.id in seen:
                    continue
                seen.add(item.id)
                delivered += 1
            yield item
            if max_results is not None and delivered >= max_results:
                log.info("%s: stopped: reached --max %d", SOURCE, max_results)
                return
        start += page.entries
        if page.total is not None and start >= page.total:
            log.info("%s: stopped: all %d results read", SOURCE, page.total)
            return


def _id_chunks(id_list: Iterable[str]) -> Iterator[list[str] | Rejection]:
    chunk: list[str] = []
    for raw in id_list:
        try:
            chunk.append(str(parse_arxiv_id(raw)))
        except InvalidPaperId as exc:
            yield Rejection(SOURCE, f"--id {raw!r}", str(exc))
            continue
        if len(chunk) == ID_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fetch(
    fetcher: Fetcher,
    base_url: str = DEFAULT_BASE_URL,
    *,
    query: str | None = None,
    categories: Iterable[str] = (),
    id_list: Iterable[str] = (),
    date_from: date | None = None,
    date_until: date | None = None,
    max_results: int | None = None,
    page_size: int = 200,
    submit: bool = False,
) -> Iterator[Item]:
    """Records from a live query, newest submissions first, or from id lookups in chunks.

    Paging stops when a page is empty, when totalResults is reached, at ``max_results``, or when a
    whole page repeats ids already seen. An arXiv error feed becomes a rejection naming the URL; a
    response that is not a feed at all raises ``SourceError`` (what came before is kept).
    """
    search_query = build_search_query(query, categories, date_from, date_until)
    ids = list(id_list)
    if ids:
        delivered = 0
        for chunk in _id_chunks(ids):
            if isinstance(chunk, Rejection):
                yield chunk
                continue
            params: dict[str, Any] = {"id_list": ",".join(chunk)}
            if search_query:
                params["search_query"] = search_query
            limit = None if max_results is None else max_results - delivered
            for item in _paged(
                fetcher,
                base_url,
                params,
                max_results=limit,
                page_size=len(chunk),
                submit=submit,
            ):
                delivered += isinstance(item, PaperRecord)
                yield item
            if max_results is not None and delivered >= max_results:
                return
        return
    if not search_query:
        raise SourceError(f"{SOURCE}: nothing to ask for: give a query, categories or ids")
    params = {
        "search_query": search_query,
        "sortBy": "submittedDate",
        "sortOrder": "descending",
    }
    yield from _paged(
        fetcher,
        base_url,
        params,
        max_results=max_results,
        page_size=page_size,
        submit=submit,
    )
