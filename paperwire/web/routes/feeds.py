"""Feeds and exports of lists: ``/daily``, ``/papers/trending``, ``/search`` and a public collection's
``/collections/{member}/{slug}/papers`` as ``.atom`` (Atom feed), ``.jsonl`` (JSON lines), ``.bib``
(BibTeX), ``.ris`` (RIS) or ``.csl.json`` (CSL-JSON); one paper as ``/papers/{id}.bib``, ``.ris`` or
``.csl.json``; and the signed-in member's For you (``/for-you.bib``, ``.ris``, ``.csl.json``, by
session cookie or API token, never cached or shared).

Every answer carries ETag and Last-Modified and is 304 when unchanged; lists come from
``feeds.lists``, documents from ``feeds.atom`` and ``exports``. Documents of lists are kept per
process (``web.pagecache.cached_data``) and dropped by any commit, like the pages they mirror.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from paperwire.errors import PaperNotFound
from paperwire.exports import csl, ris
from paperwire.exports.bibtex import bibtex
from paperwire.feeds import lists
from paperwire.feeds.atom import FeedInfo, atom_feed, last_modified
from paperwire.feeds.conditional import Document
from paperwire.papers.ids import canonical_id
from paperwire.papers.readmodel import PaperView, load_paper
from paperwire.recommend.feed import Period, for_you
from paperwire.search.service import index_version
from paperwire.web.api.jsonl import json_lines
from paperwire.web.auth import CurrentUser
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.pagecache import cached_data

router = APIRouter(include_in_schema=False)  # documents, not JSON API operations

MEDIA = {
    "atom": "application/atom+xml; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "bib": "application/x-bibtex; charset=utf-8",
    "ris": ris.MEDIA_TYPE,
    "csl.json": csl.MEDIA_TYPE,
}
# The formats of a paper, or of any list, that reference managers import.
EXPORTS = ("bib", "ris", "csl.json")


def _export(fmt: str, items: list[PaperView], base_url: str) -> bytes:
    if fmt == "ris":
        return ris.ris(items, base_url).encode()
    if fmt == "csl.json":
        return csl.csl_json(items)
    return bibtex(items).encode()


def _document(request: Request, fmt: str, found: lists.PaperList) -> Document:
    settings = request.app.state.settings
    if fmt == "atom":
        own = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        info = FeedInfo(
            title=found.title,
            subtitle=found.subtitle,
            feed_url=settings.base_url + own,
            page_url=settings.base_url + found.page_path,
        )
        body = atom_feed(info, found.items, settings.base_url)
    elif fmt == "jsonl":
        body = json_lines(found.items)
    else:
        body = _export(fmt, found.items, settings.base_url)
    return Document(body, MEDIA[fmt], last_modified(found.items))


def _answer(
    request: Request, fmt: str, build: Callable[[], lists.PaperList], *versions: str
) -> Response:
    """The document of ``build()``'s list, built once per process until something is committed
    (or, with ``versions``, the search index changes): readers poll feeds all day."""
    if fmt not in MEDIA:
        raise HTTPException(404)
    key = ":".join(("feed", *versions, request.url.path, request.url.query))
    document = cached_data(request, key, lambda: _document(request, fmt, build()))
    return document.response(request)


@router.get("/daily.{fmt}", name="daily_feed")
def daily_feed(
    request: Request,
    fmt: str,
    session: SessionDep,
    settings: SettingsDep,
    date: str | None = None,
    week: str | None = None,
    month: str | None = None,
) -> Response:
    return _answer(request, fmt, lambda: lists.daily(session, settings, date, week, month))


@router.get("/papers/trending.{fmt}", name="trending_feed")
def trending_feed(
    request: Request, fmt: str, session: SessionDep, settings: SettingsDep
) -> Response:
    return _answer(request, fmt, lambda: lists.trending_list(session, settings))


@router.get("/search.{fmt}", name="search_feed")
def search_feed(
    request: Request,
    fmt: str,
    session: SessionDep,
    settings: SettingsDep,
    q: str = "",
    sort: str = "relevance",
) -> Response:
    engine = request.app.state.engine
    return _answer(
        request,
        fmt,
        lambda: lists.search_list(session, settings, engine, q[:250], sort),
        index_version(settings),
    )


@router.get("/papers/{paper_id:paper_id}.{fmt}", name="paper_export")
def paper_export(
    request: Request, paper_id: str, fmt: str, session: SessionDep, settings: SettingsDep
) -> Response:
    """One paper as BibTeX, RIS or CSL-JSON (``fmt``)."""
    if fmt not in EXPORTS:
        raise HTTPException(404)
    item = load_paper(session, canonical_id(paper_id))
    if item is None:
        raise PaperNotFound(f"There is no paper {paper_id} here (yet).")
    body = _export(fmt, [item], settings.base_url)
    return Document(body, MEDIA[fmt], last_modified([item])).response(request)


@router.get("/for-you.{fmt}", name="for_you_export")
def for_you_export(
    request: Request,
    fmt: str,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    period: Period = "day",
) -> Response:
    """The member's For you of the latest day (or ``period=week|month``), as the page ranks it."""
    if fmt not in EXPORTS:
        raise HTTPException(404)
    found = for_you(settings, session, user, period=period, limit=50)
    items = [item.paper for item in found.items]
    body = _export(fmt, items, settings.base_url)
    response = Document(body, MEDIA[fmt], last_modified(items)).response(request)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/collections/{username}/{slug}/papers.{fmt}", name="collection_feed")
def collection_feed(
    request: Request, username: str, slug: str, fmt: str, session: SessionDep, settings: SettingsDep
) -> Response:
    return _answer(request, fmt, lambda: lists.collection_list(session, settings, username, slug))
