"""Daily-list and paper-page queries: the one place pages and APIs read lists and papers from.

A paper's upvotes are its imported baseline plus the votes members cast (``Paper.vote_count``);
hidden papers never appear. Dates "with papers" means dates with at least one visible paper.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from paperwire.db.models import Comment, DailyEntry, Paper, User
from paperwire.papers.ids import abs_url, pdf_url
from paperwire.papers.periods import Period, period_of
from paperwire.papers.views import (
    DailyList,
    DayCount,
    EntryInfo,
    PaperCard,
    PaperDetail,
    PeriodList,
    Submitter,
    abstract_paragraphs,
    author_names,
    summarise,
)

UPVOTES = (Paper.upvotes_baseline + Paper.vote_count).label("upvotes")
CARD_AUTHORS = 3


def _visible_dates() -> Select[date]:
    return (
        select(DailyEntry.list_date)
        .join(Paper, Paper.id == DailyEntry.paper_id)
        .where(Paper.hidden.is_(False))
    )


def latest_list_date(session: Session) -> date | None:
    """The most recent date whose daily list has a visible paper, or None for an empty database."""
    return session.scalar(_visible_dates().order_by(DailyEntry.list_date.desc()).limit(1))


def _comment_counts(session: Session, paper_ids: list[str]) -> dict[str, int]:
    if not paper_ids:
        return {}
    rows = session.execute(
        select(Comment.paper_id, func.count())
        .where(Comment.paper_id.in_(paper_ids), Comment.hidden.is_(False))
        .group_by(Comment.paper_id)
    )
    return {paper_id: count for paper_id, count in rows}


def _submitter(entry: DailyEntry, username: str | None) -> Submitter | None:
    info: dict[str, Any] = entry.submitter_info or {}
    name = username or entry.submitter_name or info.get("user") or info.get("name")
    if not name:
        return None
    fullname = info.get("fullname") or info.get("name")
    avatar = info.get("avatarUrl") or info.get("avatar_url")
    return Submitter(
        name=str(name),
        fullname=str(fullname) if fullname and fullname != name else None,
        avatar_url=str(avatar) if avatar else None,
    )


def _links(paper: Paper, kind: str, extra_key: str) -> list[str]:
    urls = [
        link["url"]
        for link in paper.links or []
        if isinstance(link, dict) and link.get("kind") == kind and link.get("url")
    ]
    extra = (paper.extras or {}).get(extra_key)
    if isinstance(extra, str) and extra and extra not in urls:
        urls.insert(0, extra)
    return urls


def _card(
    paper: Paper, entry: DailyEntry, username: str | None, upvotes: int, comments: int
) -> PaperCard:
    names = author_names(paper.authors)
    code = _links(paper, "code", "github_repo")
    project = _links(paper, "project", "project_page")
    stars = (paper.extras or {}).get("github_stars")
    return PaperCard(
        id=paper.id,
        title=paper.title,
        summary=summarise(paper.abstract or ""),
        author_count=len(names),
        authors=names[:CARD_AUTHORS],
        published_at=paper.published_at,
        primary_category=paper.primary_category,
        upvotes=upvotes,
        comment_count=comments + (entry.imported_comments or 0),
        code_url=code[0] if code else None,
        project_url=project[0] if project else None,
        list_date=entry.list_date,
        submitter=_submitter(entry, username),
        code_stars=stars if isinstance(stars, int) and code else None,
    )


def _page_of_cards(
    session: Session, where: ColumnElement[bool], limit: int | None, offset: int
) -> list[PaperCard]:
    """Visible papers of the daily lists matching ``where``, most upvoted first (then earliest
    submitted), one page of them; a second query counts their comments."""
    query = (
        select(Paper, DailyEntry, User.username, UPVOTES)
        .join(DailyEntry, DailyEntry.paper_id == Paper.id)
        .outerjoin(User, User.id == DailyEntry.submitted_by_id)
        .where(where, Paper.hidden.is_(False))
        .order_by(UPVOTES.desc(), DailyEntry.submitted_at, Paper.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    comments = _comment_counts(session, [row[0].id for row in rows])
    return [
        _card(paper, entry, username, upvotes or 0, comments.get(paper.id, 0))
        for paper, entry, username, upvotes in rows
    ]


def _neighbour_dates(session: Session, first: date, last: date) -> tuple[date | None, date | None]:
    """The nearest dates with visible papers before ``first`` and after ``last``."""
    previous_day = session.scalar(
        _visible_dates()
        .where(DailyEntry.list_date < first)
        .order_by(DailyEntry.list_date.desc())
        .limit(1)
    )
    next_day = session.scalar(
        _visible_dates().where(DailyEntry.list_date > last).order_by(DailyEntry.list_date).limit(1)
    )
    return previous_day, next_day


def _pages(total: int, per_page: int | None) -> int:
    return max(1, -(-total // per_page)) if per_page else 1


def daily_list(
    session: Session, day: date, *, page: int = 1, per_page: int | None = None
) -> DailyList:
    """The visible papers of ``day``'s list, most upvoted first (then earliest submitted), with the
    nearest earlier and later dates that have papers. ``per_page`` (default: all) pages the list."""
    offset = (page - 1) * per_page if per_page else 0
    cards = _page_of_cards(session, DailyEntry.list_date == day, per_page, offset)
    if per_page is None or (page == 1 and len(cards) < per_page):
        total = offset + len(cards)
    else:
        total = (
            session.scalar(
                select(func.count())
                .select_from(DailyEntry)
                .join(Paper, Paper.id == DailyEntry.paper_id)
                .where(DailyEntry.list_date == day, Paper.hidden.is_(False))
            )
            or 0
        )
    previous_day, next_day = _neighbour_dates(session, day, day)
    return DailyList(
        day=day,
        papers=cards,
        previous_day=previous_day,
        next_day=next_day,
        total=total,
        page=page,
        pages=_pages(total, per_page),
    )


def period_list(
    session: Session, period: Period, *, page: int = 1, per_page: int = 50
) -> PeriodList:
    """One page of the visible papers of every daily list in ``period``, most upvoted first, with
    the number of papers of each day and the nearest periods (of the same kind) that have papers."""
    in_period = DailyEntry.list_date.between(period.start, period.end)
    day_counts = [
        DayCount(day=day, count=count)
        for day, count in session.execute(
            select(DailyEntry.list_date, func.count())
            .join(Paper, Paper.id == DailyEntry.paper_id)
            .where(in_period, Paper.hidden.is_(False))
            .group_by(DailyEntry.list_date)
            .order_by(DailyEntry.list_date)
        )
    ]
    total = sum(d.count for d in day_counts)
    pages = _pages(total, per_page)
    page = min(page, pages)
    cards = _page_of_cards(session, in_period, per_page, (page - 1) * per_page) if total else []
    previous_day, next_day = _neighbour_dates(session, period.start, period.end)
    return PeriodList(
        kind=period.kind,
        key=period.key,
        title=period.title,
        span=period.span,
        start=period.start,
        end=period.end,
        papers=cards,
        days=day_counts,
        total=total,
        page=page,
        pages=pages,
        previous=period_of(period.kind, previous_day).key if previous_day else None,
        next=period_of(period.kind, next_day).key if next_day else None,
    )


def paper_detail(session: Session, paper_id: str) -> PaperDetail | None:
    """Everything about one visible paper (by canonical id), or None when there is no such paper."""
    paper = session.get(Paper, paper_id)
    if paper is None or paper.hidden:
        return None
    entry = session.get(DailyEntry, paper_id)
    info = None
    comments = _comment_counts(session, [paper_id]).get(paper_id, 0)
    if entry is not None:
        username = (
            session.scalar(select(User.username).where(User.id == entry.submitted_by_id))
            if entry.submitted_by_id is not None
            else None
        )
        info = EntryInfo(
            list_date=entry.list_date,
            submitted_at=entry.submitted_at,
            submitter=_submitter(entry, username),
            source=entry.source,
        )
        comments += entry.imported_comments or 0
    extras = paper.extras or {}
    keywords = extras.get("ai_keywords")
    summary = extras.get("ai_summary")
    return PaperDetail(
        id=paper.id,
        arxiv_id=paper.arxiv_id,
        version=paper.version,
        title=paper.title,
        abstract=abstract_paragraphs(paper.abstract or ""),
        authors=author_names(paper.authors),
        primary_category=paper.primary_category,
        categories=[str(c) for c in paper.categories or []],
        published_at=paper.published_at,
        updated_at=paper.updated_at,
        doi=paper.doi,
        journal_ref=paper.journal_ref,
        comments=paper.comments,
        abs_url=abs_url(paper.arxiv_id) if paper.arxiv_id else None,
        pdf_url=pdf_url(paper.arxiv_id) if paper.arxiv_id else None,
        code_links=_links(paper, "code", "github_repo"),
        project_links=_links(paper, "project", "project_page"),
        upvotes=(paper.upvotes_baseline or 0) + (paper.vote_count or 0),
        comment_count=comments,
        entry=info,
        ai_summary=summary if isinstance(summary, str) and summary else None,
        ai_keywords=[str(k) for k in keywords] if isinstance(keywords, list) else [],
    )
