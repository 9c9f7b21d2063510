"""Feeds and exports of lists: ``/daily``, ``/papers/trending``, ``/search`` and a public collection's
``/collections/{member}/{slug}/papers`` as ``.atom``
(Atom feed), ``.jsonl`` (JSON lines) or ``.bib`` (BibTeX), and ``/papers/{id}.bib``.

Every answer carries ETag and Last-Modified and is 304 when unchanged; lists come from
``feeds.lists``, documents from ``feeds.atom`` and ``exports``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from paperwire.errors import PaperNotFound
from paperwire.exports.bibtex import bibtex
from paperwire.feeds import lists
from paperwire.feeds.atom import FeedInfo, atom_feed, last_modified
from paperwire.feeds.conditional import conditional_response
from paperwire.papers.ids import canonical_id
from paperwire.papers.readmodel import load_paper
from paperwire.web.api.jsonl import json_lines
from paperwire.web.deps import SessionDep, SettingsDep

router = APIRouter(include_in_schema=False)  # documents, not JSON API operations

MEDIA = {
    "atom": "application/atom+xml; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "bib": "application/x-bibtex; charset=utf-8",
}


def _answer(request: Request, fmt: str, found: lists.PaperList) -> Response:
    if fmt not in MEDIA:
        raise HTTPException(404)
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
        body = json_lines(found.items).encode()
    else:
        body = bibtex(found.items).encode()
    return conditional_response(request, body, MEDIA[fmt], last_modified(found.items))


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
    return _answer(request, fmt, lists.daily(session, settings, date, week, month))


@router.get("/papers/trending.{fmt}", name="trending_feed")
def trending_feed(
    request: Request, fmt: str, session: SessionDep, settings: SettingsDep
) -> Response:
    return _answer(request, fmt, lists.trending_list(session, settings))


@router.get("/search.{fmt}", name="search_feed")
def search_feed(
    request: Request,
    fmt: str,
    session: SessionDep,
    settings: SettingsDep,
    q: str = "",
    sort: str = "relevance",
) -> Response:
    found = lists.search_list(session, settings, request.app.state.engine, q[:250], sort)
    return _answer(request, fmt, found)


@router.get("/papers/{paper_id:paper_id}.bib", name="paper_bibtex")
def paper_bibtex(request: Request, paper_id: str, session: SessionDep) -> Response:
    item = load_paper(session, canonical_id(paper_id))
    if item is None:
        raise PaperNotFound(f"There is no paper {paper_id} here (yet).")
    body = bibtex([item]).encode()
    return conditional_response(request, body, MEDIA["bib"], last_modified([item]))


@router.get("/collections/{username}/{slug}/papers.{fmt}", name="collection_feed")
def collection_feed(
    request: Request, username: str, slug: str, fmt: str, session: SessionDep, settings: SettingsDep
) -> Response:
    return _answer(request, fmt, lists.collection_list(session, settings, username, slug))
