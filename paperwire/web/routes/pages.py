"""The browsing pages: the daily lists (``/``, ``/papers/date/YYYY-MM-DD``), weeks and months
(``/papers/week/YYYY-Www``, ``/papers/month/YYYY-MM``), trending, and the paper page (``/papers/{id}``)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from paperwire.community import collections, follows, notes
from paperwire.community.comments import comments_for
from paperwire.db.models import User
from paperwire.errors import PaperNotFound, UsageError
from paperwire.intake.status import empty_day_reason
from paperwire.numbers import whole
from paperwire.papers import trending as trending_papers
from paperwire.papers.daily import daily_list, latest_list_date, period_list
from paperwire.papers.ids import try_parse_arxiv_id
from paperwire.papers.periods import (
    Period,
    in_range,
    month_of,
    parse_month,
    parse_week,
    week_of,
)
from paperwire.papers.readmodel import load_paper
from paperwire.search.similar import similar
from paperwire.web import auth
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.pagecache import cached_data, cached_page
from paperwire.web.templating import date_url, month_url, paper_url, render, week_url
from paperwire.web.timenav import time_nav

router = APIRouter()

# A day's list shows this many papers a page; a week's or a month's too.
PER_PAGE = 30
TRENDING_LIMIT = 50
SIMILAR_LIMIT = 6

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_list_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date from a URL; a ``UsageError`` saying what is wrong otherwise."""
    if not _ISO_DATE.match(text):
        raise UsageError(f"“{text}” is not a date. Dates look like 2026-06-07 (YYYY-MM-DD).")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text} is not a real calendar date.") from None
    return in_range(day)


def page_number(text: str) -> int:
    """``?page=`` leniently: anything but a sensible number is the first page."""
    return whole(text, 1, 100_000) or 1


def _paging(request: Request) -> dict[str, Any]:
    path = request.url.path
    return {"per_page": PER_PAGE, "page_url": lambda n: path if n == 1 else f"{path}?page={n}"}


def _daily_page(
    request: Request,
    session: SessionDep,
    day: date,
    page: str,
    latest: bool,
    followed_by: int | None = None,
    hide_read_for: int | None = None,
) -> Response:
    number = page_number(page)
    if followed_by is not None:
        listing = follows.followed_daily(session, followed_by, day)
    else:
        listing = cached_data(
            request,
            f"daily:{day.isoformat()}:{number}",
            lambda: daily_list(session, day, page=number, per_page=PER_PAGE),
        )
    if hide_read_for is not None:
        listing = notes.unread_listing(session, hide_read_for, listing)
    return render(
        request,
        "daily.html",
        {
            "listing": listing,
            "is_latest": latest,
            # Why the list is empty: a weekend or an arXiv holiday, or no harvest since some date.
            "empty_reason": empty_day_reason(request.app.state.settings, session, day)
            if listing.is_empty
            else None,
            "week": week_of(day),
            "month": month_of(day),
            "nav": time_nav(request, session, "day", day, selected=day),
            "followed_only": followed_by is not None,
            "read_hidden": hide_read_for is not None,
            **_paging(request),
        },
    )


def _followed_by(viewer: User | None, show: str) -> int | None:
    """The member whose follows filter the list (``?show=followed``), if any."""
    return viewer.id if viewer is not None and show == "followed" else None


def _hide_read_for(viewer: User | None, read: str) -> int | None:
    """The member who hides the papers they read (``?read=hide``), if any."""
    return viewer.id if viewer is not None and read == "hide" else None


def _home(
    request: Request,
    session: SessionDep,
    page: str,
    followed_by: int | None,
    hide_read_for: int | None = None,
) -> Response:
    day = latest_list_date(session)
    if day is None:
        return render(request, "daily.html", {"listing": None, "is_latest": True})
    return _daily_page(
        request,
        session,
        day,
        page,
        latest=True,
        followed_by=followed_by,
        hide_read_for=hide_read_for,
    )


@router.get("/", name="home")
def home(
    request: Request,
    session: SessionDep,
    viewer: auth.OptionalUser,
    page: str = "1",
    show: str = "",
    read: str = "",
) -> Response:
    followed_by = _followed_by(viewer, show)
    hide = _hide_read_for(viewer, read)
    return cached_page(request, lambda: _home(request, session, page, followed_by, hide))


@router.get("/papers/date/{day}", name="daily")
def daily(
    request: Request,
    day: str,
    session: SessionDep,
    viewer: auth.OptionalUser,
    page: str = "1",
    show: str = "",
    read: str = "",
) -> Response:
    followed_by = _followed_by(viewer, show)
    hide = _hide_read_for(viewer, read)
    return cached_page(
        request,
        lambda: _daily_page(
            request,
            session,
            parse_list_date(day),
            page,
            latest=False,
            followed_by=followed_by,
            hide_read_for=hide,
        ),
    )


def _period_page(
    request: Request,
    session: SessionDep,
    period: Period,
    page: str,
    hide_read_for: int | None = None,
) -> Response:
    listing = period_list(session, period, page=page_number(page), per_page=PER_PAGE)
    if hide_read_for is not None:
        listing = notes.unread_listing(session, hide_read_for, listing)
    # The Daily tab opens the period's latest day with papers; the calendar shows the period's
    # month (a week's: the month of its Thursday, as ISO numbers weeks).
    day = listing.days[-1].day if listing.days else period.start
    shown = period if period.kind == "month" else month_of(period.start + timedelta(days=3))
    context = {
        "listing": listing,
        "nav": time_nav(request, session, period.kind, day, calendar_month=shown),
        "previous_period": _neighbour(period, listing.previous),
        "next_period": _neighbour(period, listing.next),
        "read_hidden": hide_read_for is not None,
        **_paging(request),
    }
    return render(request, "period.html", context)


def _neighbour(period: Period, key: str | None) -> Period | None:
    if key is None:
        return None
    return parse_week(key) if period.kind == "week" else parse_month(key)


@router.get("/papers/week/{week}", name="week")
def week(
    request: Request,
    week: str,
    session: SessionDep,
    viewer: auth.OptionalUser,
    page: str = "1",
    read: str = "",
) -> Response:
    hide = _hide_read_for(viewer, read)
    return cached_page(
        request, lambda: _period_page(request, session, parse_week(week), page, hide)
    )


@router.get("/papers/month/{month}", name="month")
def month(
    request: Request,
    month: str,
    session: SessionDep,
    viewer: auth.OptionalUser,
    page: str = "1",
    read: str = "",
) -> Response:
    hide = _hide_read_for(viewer, read)
    return cached_page(
        request, lambda: _period_page(request, session, parse_month(month), page, hide)
    )


@router.get("/papers/go", name="jump")
def jump(date: str = "", week: str = "", month: str = "") -> Response:
    """The calendar's jump forms (``?date=``, ``?week=``, ``?month=``, as the browser's date, week
    and month inputs send them): a redirect to that list."""
    if date:
        target = date_url(parse_list_date(date))
    elif week:
        target = week_url(parse_week(week).key)
    elif month:
        target = month_url(parse_month(month).key)
    else:
        raise UsageError(
            "Name a day (date=2026-06-07), a week (week=2026-W23) or a month (month=2026-06)."
        )
    return RedirectResponse(target, status_code=303)


@router.get("/papers/trending", name="trending")
def trending(request: Request, session: SessionDep) -> Response:
    def build() -> Response:
        ranked = trending_papers.trending(session, limit=TRENDING_LIMIT)
        context = {"ranked": ranked, "explanation": trending_papers.EXPLANATION}
        return render(request, "trending.html", context)

    return cached_page(request, build)


@router.get("/papers/{paper_id:paper_id}", name="paper")
def paper(
    request: Request, paper_id: str, session: SessionDep, viewer: auth.OptionalUser
) -> Response:
    parsed = try_parse_arxiv_id(paper_id)
    if parsed is not None and str(parsed) != parsed.id:
        # A versioned id shows the paper under its one canonical address.
        return RedirectResponse(paper_url(parsed.id), status_code=301)
    canonical = parsed.id if parsed is not None else paper_id

    def build() -> Response:
        detail = load_paper(session, canonical)
        if detail is None:
            raise PaperNotFound(f"There is no paper {paper_id} here (yet).")
        discussion = comments_for(session, detail.id, viewer, visible=True)
        held = collections.memberships(session, viewer, detail.id) if viewer is not None else None
        note = notes.get_note(session, viewer, detail.id) if viewer is not None else None
        context = {"paper": detail, "comments": discussion, "collections": held, "note": note}
        return render(request, "paper.html", context)

    return cached_page(request, build)


@router.get("/papers/{paper_id:paper_id}/similar", name="similar")
def similar_papers(
    request: Request, paper_id: str, session: SessionDep, settings: SettingsDep, part: str = ""
) -> Response:
    """Papers like this one: a page of its own, or (``?part=list``) the list the paper page's
    script puts in place. Kept off the paper page itself, which must stay fast: without
    embeddings, similarity is a keyword search over every paper."""
    detail = load_paper(session, paper_id)
    if detail is None:
        raise PaperNotFound(f"There is no paper {paper_id} here (yet).")
    neighbours = similar(settings, request.app.state.engine, detail.id, limit=SIMILAR_LIMIT)
    name = "_similar.html" if part == "list" else "similar.html"
    return render(request, name, {"paper": detail, "similar": neighbours})
