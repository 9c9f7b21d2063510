"""The search page ``/search?q=``: the query box with its filters, and results as daily-list cards.

Everything comes from ``paperwire.search.service.search``; this module only reads the URL leniently
(a hand-edited, impossible option becomes a note, never an error page) and renders.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from paperwire.errors import DateOutOfRange
from paperwire.numbers import whole
from paperwire.papers.periods import in_range
from paperwire.search import service
from paperwire.web.deps import SettingsDep
from paperwire.web.inputs import MAX_CATEGORIES
from paperwire.web.templating import render

router = APIRouter()

PER_PAGE = 20
MODE_LABELS = {"hybrid": "Hybrid", "lexical": "Keywords", "semantic": "Meaning"}
SORT_LABELS = {"relevance": "Relevance", "date": "Newest", "votes": "Most upvoted"}


def _choice(value: str, allowed: dict[str, str], default: str, what: str, notes: list[str]) -> str:
    if value in allowed:
        return value
    if value:
        notes.append(f"unknown {what} “{value}”: using {allowed[default].lower()}")
    return default


def _date(value: str, what: str, notes: list[str]) -> date | None:
    if not value:
        return None
    try:
        return in_range(date.fromisoformat(value))
    except ValueError:
        notes.append(f"“{value}” is not a date (YYYY-MM-DD): the {what} date was ignored")
    except DateOutOfRange as exc:
        notes.append(f"{exc} The {what} date was ignored")
    return None


@router.get("/search", name="search")
def search_page(
    request: Request,
    settings: SettingsDep,
    q: str = "",
    mode: str = "hybrid",
    sort: str = "relevance",
    cat: str = "",
    since: str = "",
    until: str = "",
    page: str = "1",
) -> Response:
    notes: list[str] = []
    form = {
        "q": q,
        "mode": _choice(mode, MODE_LABELS, "hybrid", "mode", notes),
        "sort": _choice(sort, SORT_LABELS, "relevance", "order", notes),
        "cat": cat.strip(),
        "since": since,
        "until": until,
    }
    date_from = _date(since, "from", notes)
    date_to = _date(until, "until", notes)
    if date_from and date_to and date_from > date_to:
        notes.append("the date range was empty, so it was ignored")
        date_from = date_to = None
    number = whole(page, 1, 10_000) or 1
    categories = form["cat"].replace(",", " ").split()
    if len(categories) > MAX_CATEGORIES:
        notes.append(f"only the first {MAX_CATEGORIES} of {len(categories)} categories were used")
        categories = categories[:MAX_CATEGORIES]
    result = None
    if q.strip() or form["cat"] or date_from or date_to:
        result = service.search(
            settings,
            request.app.state.engine,
            q,
            mode=form["mode"],
            sort=form["sort"],
            limit=PER_PAGE,
            page=number,
            date_from=date_from,
            date_to=date_to,
            categories=categories,
        )
        notes.extend(result.notes)

    def page_url(n: int) -> str:
        return "/search?" + urlencode({**{k: v for k, v in form.items() if v}, "page": n})

    return render(
        request,
        "search.html",
        {
            "form": form,
            "result": result,
            "cards": result.results if result else [],
            "notes": notes,
            "modes": MODE_LABELS,
            "sorts": SORT_LABELS,
            "page_url": page_url,
            "first_rank": (number - 1) * PER_PAGE + 1,
        },
    )
