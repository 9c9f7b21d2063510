"""Daily-list and paper-page queries: the one place pages and APIs read lists and papers from.

A paper's upvotes are its imported baseline plus the votes members cast (``Paper.vote_count``);
hidden papers never appear. Dates "with papers" means dates with at least one visible paper.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, func, select
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


_COMMENT_COUNTS = (
    select(Comment.paper_id, func.count())
    .where(Comment.paper_id.in_(bindparam("ids", expanding=True)), Comment.hidden.is_(False))
    .group_by(Comment.paper_id)
)


def _comment_counts(session: Session, paper_ids: list[str]) -> dict[str, int]:
    if not paper_ids:
        return {}
    rows = session.execute(_COMMENT_COUNTS, {"ids": paper_ids})
    return {paper_id: count for paper_id, count in rows}


def _submitter(entry: Any, username: str | None) -> Submitter | None:
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


def _links(paper: Any, kind: str, extra_key: str) -> list[str]:
    urls = [
        link["url"]
        for link in paper.links or []
        if isinstance(link, dict) and link.get("kind") == kind and link.get("url")
    ]
    extra = (paper.extras or {}).get(extra_key)
    if isinstance(extra, str) and extra and extra not in urls:
        urls.insert(0, extra)
    return urls


def _card(paper: Any, entry: Any, username: str | None, upvotes: int, comments: int) -> PaperCard:
    """A card from a paper and its daily entry: ORM objects, or one row with their columns."""
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


# The columns a card shows, read without building ORM objects; a row answers to the attribute
# names ``_card`` reads from a paper and from its daily entry.
_CARD_COLUMNS = (
    Paper.id,
    Paper.title,
    Paper.abstract,
    Paper.authors,
    Paper.published_at,
    Paper.primary_category,
    Paper.links,
    Paper.extras,
    UPVOTES,
    DailyEntry.list_date,
    DailyEntry.submitter_name,
    DailyEntry.submitter_info,
    DailyEntry.imported_comments,
    User.username,
)
RANK = ((Paper.upvotes_baseline + Paper.vote_count).desc(), DailyEntry.submitted_at, Paper.id)
NO_LIMIT = 1_000_000_000

# The statements of the list pages, built once (building them per request showed in profiles).
# Papers outside any daily list (in a collection, say) get cards too, without list or submitter.
_CARDS = (
    select(*_CARD_COLUMNS)
    .outerjoin(DailyEntry, DailyEntry.paper_id == Paper.id)
    .outerjoin(User, User.id == DailyEntry.submitted_by_id)
    .where(Paper.id.in_(bindparam("ids", expanding=True)), Paper.hidden.is_(False))
)
_IN_DATES = DailyEntry.list_date.between(bindparam("first"), bindparam("last"))
# The ranking reads only ids and the count, so the sort never carries abstracts; the rows of the
# page are read by id afterwards.
_RANKED = (
    select(Paper.id, func.count().over().label("total"))
    .join(DailyEntry, DailyEntry.paper_id == Paper.id)
    .where(_IN_DATES, Paper.hidden.is_(False))
    .order_by(*RANK)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_COUNT = (
    select(func.count())
    .select_from(DailyEntry)
    .join(Paper, Paper.id == DailyEntry.paper_id)
    .where(_IN_DATES, Paper.hidden.is_(False))
)
_DAY_COUNTS = (
    select(DailyEntry.list_date, func.count())
    .join(Paper, Paper.id == DailyEntry.paper_id)
    .where(_IN_DATES, Paper.hidden.is_(False))
    .group_by(DailyEntry.list_date)
    .order_by(DailyEntry.list_date)
)
_PREVIOUS_DATE = (
    _visible_dates()
    .where(DailyEntry.list_date < bindparam("first"))
    .order_by(DailyEntry.list_date.desc())
    .limit(1)
)
_NEXT_DATE = (
    _visible_dates()
    .where(DailyEntry.list_date > bindparam("last"))
    .order_by(DailyEntry.list_date)
    .limit(1)
)


def cards_by_id(session: Session, paper_ids: list[str]) -> dict[str, PaperCard]:
    """The cards of these visible papers (two queries: the rows, then their comment counts)."""
    if not paper_ids:
        return {}
    rows = session.execute(_CARDS, {"ids": paper_ids}).all()
    comments = _comment_counts(session, paper_ids)
    return {
        row.id: _card(row, row, row.username, row.upvotes or 0, comments.get(row.id, 0))
        for row in rows
    }


def _page_of_cards(
    session: Session, first: date, last: date, limit: int | None, offset: int
) -> tuple[list[PaperCard], int]:
    """One page of the visible papers of the daily lists from ``first`` to ``last``, most upvoted
    first (then earliest submitted), and how many there are in all."""
    dates = {"first": first, "last": last}
    ranked = session.execute(_RANKED, {**dates, "limit": limit or NO_LIMIT, "offset": offset}).all()
    cards = cards_by_id(session, [row.id for row in ranked])
    if ranked:
        total = int(ranked[0].total)
    else:  # an empty list, or a page past the end: count what there is
        total = int(session.scalar(_COUNT, dates) or 0) if offset else 0
    return [cards[row.id] for row in ranked if row.id in cards], total


def _neighbour_dates(session: Session, first: date, last: date) -> tuple[date | None, date | None]:
    """The nearest dates with visible papers before ``first`` and after ``last``."""
    previous_day = session.scalar(_PREVIOUS_DATE, {"first": first})
    next_day = session.scalar(_NEXT_DATE, {"last": last})
    return previous_day, next_day


def _pages(total: int, per_page: int | None) -> int:
    return max(1, -(-total // per_page)) if per_page else 1


def daily_list(
    session: Session, day: date, *, page: int = 1, per_page: int | None = None
) -> DailyList:
    """The visible papers of ``day``'s list, most upvoted first (then earliest submitted), with the
    nearest earlier and later dates that have papers. ``per_page`` (default: all) pages the list."""
    offset = (page - 1) * per_page if per_page else 0
    cards, total = _page_of_cards(session, day, day, per_page, offset)
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
    day_counts = [
        DayCount(day=day, count=count)
        for day, count in session.execute(_DAY_COUNTS, {"first": period.start, "last": period.end})
    ]
    total = sum(d.count for d in day_counts)
    pages = _pages(total, per_page)
    page = min(page, pages)
    offset = (page - 1) * per_page
    cards = _page_of_cards(session, period.start, period.end, per_page, offset)[0] if total else []
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
    comments = local_comments = _comment_counts(session, [paper_id]).get(paper_id, 0)
    imported_comments = 0
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
        imported_comments = entry.imported_comments or 0
        comments += imported_comments
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
        local_comments=local_comments,
        imported_comments=imported_comments,
        source_discussion_url=_source_discussion(paper, info),
    )


def _source_discussion(paper: Paper, entry: EntryInfo | None) -> str | None:
    """The page of the discussion a paper has where it was imported from (Hugging Face's)."""
    if entry is None or entry.source != "hf" or not paper.arxiv_id:
        return None
    return f"https://huggingface.co/papers/{paper.arxiv_id}"
