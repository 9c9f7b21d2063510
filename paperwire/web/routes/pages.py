"""The daily-list pages (``/``, ``/papers/date/YYYY-MM-DD``) and the paper page (``/papers/{id}``)."""

from __future__ import annotations

import re
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

import paperwire.web.convertors  # noqa: F401  (registers the paper_id convertor used below)
from paperwire.errors import PaperNotFound, UsageError
from paperwire.papers.daily import daily_list, latest_list_date, paper_detail
from paperwire.papers.ids import try_parse_arxiv_id
from paperwire.web.deps import SessionDep
from paperwire.web.templating import paper_url, render

router = APIRouter()

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_list_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date from a URL; a ``UsageError`` saying what is wrong otherwise."""
    if not _ISO_DATE.match(text):
        raise UsageError(f"“{text}” is not a date. Dates look like 2026-06-07 (YYYY-MM-DD).")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text} is not a real calendar date.") from None


@router.get("/", name="home")
def home(request: Request, session: SessionDep) -> Response:
    day = latest_list_date(session)
    listing = daily_list(session, day) if day is not None else None
    return render(request, "daily.html", {"listing": listing, "is_latest": True})


@router.get("/papers/date/{day}", name="daily")
def daily(request: Request, day: str, session: SessionDep) -> Response:
    listing = daily_list(session, parse_list_date(day))
    return render(request, "daily.html", {"listing": listing, "is_latest": False})


@router.get("/papers/{paper_id:paper_id}", name="paper")
def paper(request: Request, paper_id: str, session: SessionDep) -> Response:
    parsed = try_parse_arxiv_id(paper_id)
    if parsed is not None and str(parsed) != parsed.id:
        # A versioned id shows the paper under its one canonical address.
        return RedirectResponse(paper_url(parsed.id), status_code=301)
    canonical = parsed.id if parsed is not None else paper_id
    detail = paper_detail(session, canonical)
    if detail is None:
        raise PaperNotFound(f"There is no paper {paper_id} here (yet).")
    return render(request, "paper.html", {"paper": detail})
