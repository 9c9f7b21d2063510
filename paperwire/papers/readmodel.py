"""The read model: one frozen view of a paper holding everything any surface shows, and the one
loader that builds views for a list of ids in a fixed number of queries.

Rankings (daily lists, trending, search, similar papers, collections, digests) produce ids; every
surface loads its papers here and hands the views to a renderer: the HTML card and paper page, the
Hugging Face JSON shape, paperwire's JSON, Atom, BibTeX, JSON lines and Markdown. So the upvote
formula (``UPVOTES``) and the link rule (``paper_links``) exist once.

Queries per ``load_papers`` call: the rows (with extracted keyphrases and summary, and claimed
authors) and the comment counts (two), plus the viewer's votes with read marks
(one statement) and collections (two more) when a member asks; never one per paper.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from paperwire.db.models import (
    Collection,
    CollectionItem,
    Comment,
    DailyEntry,
    Paper,
    PaperAuthor,
    PaperEnrichment,
    ReadMark,
    User,
    Vote,
)
from paperwire.papers.ids import abs_url, pdf_url
from paperwire.papers.links import safe_url
from paperwire.papers.views import (
    EntryInfo,
    Submitter,
    abstract_paragraphs,
    author_names,
    jsonable,
    summarise,
)

# The one upvote formula: the imported baseline plus the votes members cast.
UPVOTES = (Paper.upvotes_baseline + Paper.vote_count).label("upvotes")
CARD_AUTHORS = 3


def _links_of(links: Any, extras: dict[str, Any], kind: str, extra_key: str) -> tuple[str, ...]:
    urls: list[str] = []
    for link in links or []:
        if isinstance(link, dict) and link.get("kind") == kind:
            url = safe_url(link.get("url"))
            if url and url not in urls:
                urls.append(url)
    extra = safe_url(extras.get(extra_key))
    if extra and extra not in urls:
        urls.insert(0, extra)  # a source's own field (HF's githubRepo) comes first
    return tuple(urls)


@dataclass(frozen=True, slots=True)
class PaperLinks:
    """Where to read a paper: arXiv's abstract and PDF, code repositories, project pages."""

    abs: str | None = None
    pdf: str | None = None
    code: tuple[str, ...] = ()
    project: tuple[str, ...] = ()

    @property
    def code_url(self) -> str | None:
        return self.code[0] if self.code else None

    @property
    def project_url(self) -> str | None:
        return self.project[0] if self.project else None


def paper_links(arxiv_id: str | None, links: Any, extras: dict[str, Any] | None) -> PaperLinks:
    """The link rule, once: a source's own code/project field first, then links found in the
    abstract or comments; http(s) only."""
    extras = extras or {}
    return PaperLinks(
        abs=abs_url(arxiv_id) if arxiv_id else None,
        pdf=pdf_url(arxiv_id) if arxiv_id else None,
        code=_links_of(links, extras, "code", "github_repo"),
        project=_links_of(links, extras, "project", "project_page"),
    )


# A card's summary is read on every render of a page a member gets: computed once per abstract.
_summary = functools.lru_cache(maxsize=8192)(summarise)


@dataclass(frozen=True, slots=True)
class ViewerState:
    """The asking member's own relation to a paper."""

    voted: bool = False
    collections: tuple[int, ...] = ()
    read: bool = False  # marked read (community/notes.py)


@dataclass(frozen=True, slots=True)
class PaperView:
    """Everything any surface shows about one visible paper."""

    id: str
    arxiv_id: str | None
    version: int | None
    title: str
    abstract: str
    authors: tuple[str, ...]
    primary_category: str | None
    categories: tuple[str, ...]
    published_at: datetime | None
    updated_at: datetime | None
    doi: str | None
    journal_ref: str | None
    comments: str | None  # the source's comments field ("10 pages, ICML"), not the discussion
    links: PaperLinks
    upvotes: int
    comment_count: int
    entry: EntryInfo | None = None
    imported_comments: int = 0
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    code_stars: int | None = None
    discussion_id: str | None = None
    organization: str | None = None
    viewer: ViewerState | None = None
    modified_at: datetime | None = None
    # what paperwire extracted for a paper its source gave no keywords or summary
    # (enrich/: summary_origin "extracted", or "llm" from the optional summariser)
    extracted_keywords: tuple[str, ...] = ()
    extracted_summary: str | None = None
    summary_origin: str | None = None
    # authors who claimed their page: (position in ``authors``, member's user name)
    claimed: tuple[tuple[int, str], ...] = ()
    extras: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # What a card shows, named as the card template reads it.
    @property
    def summary(self) -> str:
        return _summary(self.abstract)

    @property
    def keywords(self) -> tuple[str, ...]:
        """The source's AI keywords, else the extracted keyphrases."""
        return self.ai_keywords or self.extracted_keywords

    @property
    def short_summary(self) -> str | None:
        """The source's AI summary, else the extracted (or summariser's) sentence."""
        return self.ai_summary or self.extracted_summary

    @property
    def short_summary_origin(self) -> str | None:
        if self.ai_summary:
            return "source"
        return self.summary_origin if self.extracted_summary else None

    @property
    def author_count(self) -> int:
        return len(self.authors)

    @property
    def card_authors(self) -> tuple[str, ...]:
        return self.authors[:CARD_AUTHORS]

    @property
    def list_date(self) -> date | None:
        return self.entry.list_date if self.entry else None

    @property
    def submitter(self) -> Submitter | None:
        return self.entry.submitter if self.entry else None

    @property
    def code_url(self) -> str | None:
        return self.links.code_url

    @property
    def project_url(self) -> str | None:
        return self.links.project_url

    @property
    def voted(self) -> bool:
        return bool(self.viewer and self.viewer.voted)

    @property
    def read(self) -> bool:
        return bool(self.viewer and self.viewer.read)

    @property
    def thumbnail(self) -> str | None:
        """The picture a card shows: the source's thumbnail, else its first image among the media
        (Hugging Face lists give both); https only, as the pages' CSP loads no other images."""
        return _thumbnail(self.extras)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO strings), the stored extras left out."""
        data: dict[str, Any] = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extras"
        }
        # what a card shows, under the names the card template reads
        data.update(summary=self.summary, submitter=self.submitter, list_date=self.list_date)
        data.update(code_url=self.code_url, project_url=self.project_url)
        return {key: jsonable(value) for key, value in data.items()}

    # What the paper page shows besides.
    @property
    def abstract_paragraphs(self) -> list[str]:
        return abstract_paragraphs(self.abstract)

    @property
    def abs_url(self) -> str | None:
        return self.links.abs

    @property
    def pdf_url(self) -> str | None:
        return self.links.pdf

    @property
    def code_links(self) -> tuple[str, ...]:
        return self.links.code

    @property
    def project_links(self) -> tuple[str, ...]:
        return self.links.project

    @property
    def source_discussion_url(self) -> str | None:
        """The discussion this paper has where it was imported from (Hugging Face's page)."""
        if self.entry is None or self.entry.source != "hf" or not self.arxiv_id:
            return None
        return f"https://huggingface.co/papers/{self.arxiv_id}"

    @property
    def all_comments(self) -> int:
        """Local comments plus the source's imported count, as the HF-compatible API reports."""
        return self.comment_count + self.imported_comments


def submitter_of(
    submitter_name: str | None, submitter_info: dict[str, Any] | None, username: str | None
) -> Submitter | None:
    """Who put a paper on its list: a member (by user name) or an imported submitter."""
    info: dict[str, Any] = submitter_info or {}
    name = username or submitter_name or info.get("user") or info.get("name")
    if not name:
        return None
    fullname = info.get("fullname") or info.get("name")
    avatar = info.get("avatarUrl") or info.get("avatar_url")
    return Submitter(
        name=str(name),
        fullname=str(fullname) if fullname and fullname != name else None,
        avatar_url=str(avatar) if avatar else None,
    )


# Authors who claimed their page, as "position:username" lines (a correlated subquery on the
# paper_authors primary key, so claims cost no statement of their own).
_CLAIMANT = aliased(User)
_CLAIMED = (
    select(
        func.aggregate_strings(
            cast(PaperAuthor.position, String) + literal(":") + _CLAIMANT.username, "\n"
        )
    )
    .select_from(PaperAuthor)
    .join(_CLAIMANT, _CLAIMANT.id == PaperAuthor.claimed_by_id)
    .where(PaperAuthor.paper_id == Paper.id)
    .correlate(Paper)
    .scalar_subquery()
    .label("claimed")
)

# Built once: building statements per request showed in profiles.
_ROWS = (
    select(
        Paper.id,
        Paper.arxiv_id,
        Paper.version,
        Paper.title,
        Paper.abstract,
        Paper.authors,
        Paper.primary_category,
        Paper.categories,
        Paper.published_at,
        Paper.updated_at,
        Paper.doi,
        Paper.journal_ref,
        Paper.comments,
        Paper.links,
        Paper.extras,
        Paper.modified_at,
        UPVOTES,
        DailyEntry.list_date,
        DailyEntry.submitted_at,
        DailyEntry.submitter_name,
        DailyEntry.submitter_info,
        DailyEntry.source,
        DailyEntry.imported_comments,
        User.username,
        PaperEnrichment.keyphrases,
        PaperEnrichment.summary.label("extracted_summary"),
        PaperEnrichment.summary_origin,
        _CLAIMED,
    )
    .outerjoin(DailyEntry, DailyEntry.paper_id == Paper.id)
    .outerjoin(User, User.id == DailyEntry.submitted_by_id)
    .outerjoin(PaperEnrichment, PaperEnrichment.paper_id == Paper.id)
    .where(Paper.id.in_(bindparam("ids", expanding=True)), Paper.hidden.is_(False))
)
# What an anonymous reader of the paper's page sees (``community.comments.comments_for``): the
# comments not hidden, less the replies to a hidden comment, which go with it.
_PARENT = aliased(Comment)
_COMMENT_COUNTS = (
    select(Comment.paper_id, func.count())
    .outerjoin(_PARENT, _PARENT.id == Comment.parent_id)
    .where(
        Comment.paper_id.in_(bindparam("ids", expanding=True)),
        Comment.hidden.is_(False),
        or_(_PARENT.id.is_(None), _PARENT.hidden.is_(False)),
    )
    .group_by(Comment.paper_id)
)
# The member's votes and read marks in one statement: (paper id, "vote" or "read").
_VOTED = union_all(
    select(Vote.paper_id, literal("vote")).where(
        Vote.user_id == bindparam("user"), Vote.paper_id.in_(bindparam("ids", expanding=True))
    ),
    select(ReadMark.paper_id, literal("read")).where(
        ReadMark.user_id == bindparam("user"),
        ReadMark.paper_id.in_(bindparam("ids", expanding=True)),
    ),
)
_KEPT = (
    select(CollectionItem.paper_id, CollectionItem.collection_id)
    .join(Collection, Collection.id == CollectionItem.collection_id)
    .where(
        Collection.owner_id == bindparam("user"),
        CollectionItem.paper_id.in_(bindparam("ids", expanding=True)),
    )
)


_UPVOTE_COUNTS = select(Paper.id, UPVOTES).where(Paper.id.in_(bindparam("ids", expanding=True)))


def upvote_counts(session: Session, paper_ids: Sequence[str]) -> dict[str, int]:
    """Upvotes per paper by the one formula (for ranking by votes without loading papers)."""
    if not paper_ids:
        return {}
    rows = session.execute(_UPVOTE_COUNTS, {"ids": list(paper_ids)})
    return {pid: int(n or 0) for pid, n in rows}


def comment_counts(session: Session, paper_ids: Sequence[str]) -> dict[str, int]:
    """Visible local comments per paper (imported counts are kept apart, never added in)."""
    if not paper_ids:
        return {}
    return {pid: int(n) for pid, n in session.execute(_COMMENT_COUNTS, {"ids": list(paper_ids)})}


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif")


@functools.lru_cache(maxsize=4096)
def _https_image(value: str) -> str | None:
    url = safe_url(value)
    return url if url is not None and url.lower().startswith("https://") else None


def _thumbnail(extras: dict[str, Any]) -> str | None:
    thumbnail = extras.get("thumbnail")
    if isinstance(thumbnail, str) and (found := _https_image(thumbnail)):
        return found
    media = extras.get("media_urls")
    for url in media if isinstance(media, list) else ():
        image = isinstance(url, str) and url.lower().split("?", 1)[0].endswith(_IMAGE_SUFFIXES)
        if image and (found := _https_image(url)):
            return found
    return None


def _str_list(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _claimed(text: str | None) -> tuple[tuple[int, str], ...]:
    found = []
    for line in (text or "").splitlines():
        position, _, username = line.partition(":")
        if position.isdigit() and username:
            found.append((int(position), username))
    return tuple(sorted(found))


def _view(row: Any, comments: int, viewer: ViewerState | None) -> PaperView:
    extras: dict[str, Any] = row.extras if isinstance(row.extras, dict) else {}
    entry = None
    if row.list_date is not None:
        entry = EntryInfo(
            list_date=row.list_date,
            submitted_at=row.submitted_at,
            submitter=submitter_of(row.submitter_name, row.submitter_info, row.username),
            source=row.source,
        )
    links = paper_links(row.arxiv_id, row.links, extras)
    stars = extras.get("github_stars")
    summary = extras.get("ai_summary")
    organization = extras.get("hf_organization")
    discussion = extras.get("hf_discussion_id")
    return PaperView(
        id=row.id,
        arxiv_id=row.arxiv_id,
        version=row.version,
        title=row.title,
        abstract=row.abstract or "",
        authors=tuple(author_names(row.authors)),
        primary_category=row.primary_category,
        categories=_str_list(row.categories),
        published_at=row.published_at,
        updated_at=row.updated_at,
        doi=row.doi,
        journal_ref=row.journal_ref,
        comments=row.comments,
        links=links,
        upvotes=int(row.upvotes or 0),
        comment_count=comments,
        entry=entry,
        imported_comments=int(row.imported_comments or 0),
        ai_summary=summary if isinstance(summary, str) and summary else None,
        ai_keywords=_str_list(extras.get("ai_keywords")),
        code_stars=stars if isinstance(stars, int) and links.code else None,
        discussion_id=str(discussion) if discussion else None,
        organization=str(organization) if organization else None,
        viewer=viewer,
        modified_at=row.modified_at,
        extracted_keywords=_str_list(row.keyphrases),
        extracted_summary=row.extracted_summary or None,
        summary_origin=row.summary_origin if row.extracted_summary else None,
        claimed=_claimed(row.claimed),
        extras=extras,
    )


def load_papers(
    session: Session, paper_ids: Sequence[str], *, viewer_id: int | None = None
) -> list[PaperView]:
    """The visible papers among ``paper_ids``, in that order (hidden and unknown ids left out),
    with ``viewer_id``'s own votes, read marks and collections when a member asks."""
    ids = list(dict.fromkeys(paper_ids))
    if not ids:
        return []
    rows = session.execute(_ROWS, {"ids": ids}).all()
    comments = comment_counts(session, ids)
    states: dict[str, ViewerState] = {}
    if viewer_id is not None:
        params = {"ids": ids, "user": viewer_id}
        marks = session.execute(_VOTED, params).all()
        voted = {pid for pid, kind in marks if kind == "vote"}
        read = {pid for pid, kind in marks if kind == "read"}
        kept: dict[str, list[int]] = {}
        for paper_id, collection_id in session.execute(_KEPT, params):
            kept.setdefault(paper_id, []).append(collection_id)
        states = {
            pid: ViewerState(
                voted=pid in voted,
                collections=tuple(sorted(kept.get(pid, ()))),
                read=pid in read,
            )
            for pid in ids
        }
    by_id = {row.id: _view(row, comments.get(row.id, 0), states.get(row.id)) for row in rows}
    return [by_id[pid] for pid in ids if pid in by_id]


def load_paper(
    session: Session, paper_id: str, *, viewer_id: int | None = None
) -> PaperView | None:
    """One visible paper by canonical id, or None."""
    found = load_papers(session, [paper_id], viewer_id=viewer_id)
    return found[0] if found else None
