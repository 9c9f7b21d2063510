"""What the JSON API answers, as pydantic models (the OpenAPI document is generated from them).

The Hugging Face-compatible shapes keep Hugging Face's key names (camelCase, a nested ``paper`` in
daily-list items, times as ``2024-10-22T17:59:30.000Z``) so that ``huggingface_hub`` reads them
unchanged; keys Hugging Face does not send (``categories``, ``arxivId``...) are paperwire's own
additions. Models are renderers of the read model's ``PaperView``, never built from table rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import orjson
from pydantic import BaseModel, Field, StrictBool
from starlette.responses import Response

from paperwire.authors.pages import AuthorPage
from paperwire.digests.subscriptions import MAX_TOPICS, Preferences, preferences
from paperwire.papers.links import safe_url
from paperwire.papers.readmodel import PaperView
from paperwire.papers.views import Submitter
from paperwire.search.service import SearchPage
from paperwire.web.inputs import Line, Lines


def hf_time(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as Hugging Face writes it: milliseconds and a ``Z``."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def daily_json(items: Sequence[PaperView]) -> Response:
    """``items`` as a JSON array of ``DailyPaperPublic`` (FastAPI's second pass through
    ``response_model`` is skipped)."""
    return Response(daily_bytes(items), media_type="application/json")


def daily_bytes(items: Sequence[PaperView]) -> bytes:
    """``items`` as a JSON array of ``DailyPaperPublic``, ``None`` left out."""
    return orjson.dumps([daily_dict(item) for item in items])


def paper_json(item: PaperView) -> Response:
    return Response(orjson.dumps(paper_dict(item)), media_type="application/json")


# The renderers below write the models' shapes (same keys, same order, ``None`` left out, as
# ``model_dump_json(exclude_none=True)``) straight from the view with orjson: building and
# serialising pydantic models took most of a list's time. ``tests/api/test_json_render.py``
# checks they match the models byte for byte.


def _drop_none(data: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in data.items() if value is not None}


def user_dict(submitter: Submitter | None) -> dict[str, object] | None:
    """``UserPublic.of(submitter)``'s JSON object."""
    if submitter is None:
        return None
    return _drop_none(
        {
            "name": submitter.name,
            "user": submitter.name,
            "fullname": submitter.fullname or submitter.name,
            "avatarUrl": safe_url(submitter.avatar_url, site_path=True),
            "type": "user",
        }
    )


def paper_dict(paper: PaperView) -> dict[str, object]:
    """``PaperPublic.of(paper)``'s JSON object."""
    entry = paper.entry
    return _drop_none(
        {
            "id": paper.id,
            "title": paper.title,
            "summary": paper.abstract,
            "authors": _author_dicts(paper),
            "publishedAt": hf_time(paper.published_at),
            "submittedOnDailyAt": hf_time(entry.submitted_at) if entry else None,
            "submittedOnDailyBy": user_dict(paper.submitter),
            "upvotes": paper.upvotes,
            "numComments": paper.all_comments,
            "discussionId": paper.discussion_id,
            "projectPage": paper.project_url,
            "githubRepo": paper.code_url,
            "githubStars": paper.code_stars,
            "ai_summary": paper.short_summary,
            "ai_keywords": list(paper.keywords) or None,
            "organization": {"name": paper.organization} if paper.organization else None,
            "arxivId": paper.arxiv_id,
            "version": paper.version,
            "categories": list(paper.categories),
            "dailyDate": entry.list_date.isoformat() if entry else None,
            "doi": paper.doi,
            "journalRef": paper.journal_ref,
            "aiSummaryOrigin": paper.short_summary_origin,
            "aiKeywordsOrigin": ("source" if paper.ai_keywords else "extracted")
            if paper.keywords
            else None,
        }
    )


def _author_dicts(paper: PaperView) -> list[dict[str, object]]:
    """``authors_public(paper)``'s JSON objects: a claimed author carries its member and status."""
    claimed = dict(paper.claimed)
    return [
        {
            "name": name,
            "hidden": False,
            "user": {
                "name": claimed[i],
                "user": claimed[i],
                "fullname": claimed[i],
                "type": "user",
            },
            "status": "claimed_verified",
        }
        if i in claimed
        else {"name": name, "hidden": False}
        for i, name in enumerate(paper.authors)
    ]


def daily_dict(item: PaperView) -> dict[str, object]:
    """``DailyPaperPublic.of(item)``'s JSON object."""
    paper = paper_dict(item)
    media = item.extras.get("media_urls")
    return _drop_none(
        {
            "paper": paper,
            "publishedAt": paper.get("submittedOnDailyAt") or paper.get("publishedAt"),
            "title": paper["title"],
            "summary": paper["summary"],
            "thumbnail": safe_url(item.extras.get("thumbnail"), site_path=True),
            "mediaUrls": [m for m in (safe_url(x, site_path=True) for x in media) if m]
            if isinstance(media, list)
            else None,
            "numComments": paper["numComments"],
            "submittedBy": paper.get("submittedOnDailyBy"),
            "organization": paper.get("organization"),
        }
    )


class ErrorPublic(BaseModel):
    error: str = Field(description="What was wrong, naming the parameter")


class UserPublic(BaseModel):
    """Who put a paper on a daily list (``name`` and ``user`` both hold the user name)."""

    name: str
    user: str
    fullname: str | None = None
    avatarUrl: str | None = None
    type: str = "user"

    @classmethod
    def of(cls, submitter: Submitter | None) -> UserPublic | None:
        if submitter is None:
            return None
        return cls(
            name=submitter.name,
            user=submitter.name,
            fullname=submitter.fullname or submitter.name,
            avatarUrl=safe_url(submitter.avatar_url, site_path=True),
        )


class AuthorPublic(BaseModel):
    name: str
    hidden: bool = False
    user: UserPublic | None = Field(default=None, description="the member who claimed this author")
    status: str | None = Field(
        default=None, description="claimed_verified once a claim is approved"
    )


def authors_public(paper: PaperView) -> list[AuthorPublic]:
    claimed = dict(paper.claimed)
    return [
        AuthorPublic(name=name, user=_member(claimed[i]), status="claimed_verified")
        if i in claimed
        else AuthorPublic(name=name)
        for i, name in enumerate(paper.authors)
    ]


def _member(username: str) -> UserPublic:
    return UserPublic(name=username, user=username, fullname=username)


class OrganizationPublic(BaseModel):
    name: str


class PaperPublic(BaseModel):
    """A paper, as ``GET /api/papers/{id}`` answers and as the ``paper`` of a daily-list item."""

    id: str
    title: str
    summary: str
    authors: list[AuthorPublic]
    publishedAt: str | None = Field(None, description="first published (arXiv)")
    submittedOnDailyAt: str | None = Field(None, description="when it entered its daily list")
    submittedOnDailyBy: UserPublic | None = None
    upvotes: int
    numComments: int
    discussionId: str | None = None
    projectPage: str | None = None
    githubRepo: str | None = None
    githubStars: int | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    organization: OrganizationPublic | None = None
    # paperwire's own additions
    arxivId: str | None = None
    version: int | None = None
    categories: list[str] = []
    dailyDate: str | None = Field(None, description="the date of its daily list (YYYY-MM-DD)")
    doi: str | None = None
    journalRef: str | None = None
    aiSummaryOrigin: Literal["source", "extracted", "llm"] | None = Field(
        None, description="where ai_summary comes from: the source, or paperwire (extracted, llm)"
    )
    aiKeywordsOrigin: Literal["source", "extracted"] | None = Field(
        None, description="where ai_keywords come from: the source, or extracted by paperwire"
    )

    @classmethod
    def of(cls, paper: PaperView) -> PaperPublic:
        entry = paper.entry
        return cls(
            id=paper.id,
            title=paper.title,
            summary=paper.abstract,
            authors=authors_public(paper),
            publishedAt=hf_time(paper.published_at),
            submittedOnDailyAt=hf_time(entry.submitted_at) if entry else None,
            submittedOnDailyBy=UserPublic.of(paper.submitter),
            upvotes=paper.upvotes,
            numComments=paper.all_comments,
            discussionId=paper.discussion_id,
            projectPage=paper.project_url,
            githubRepo=paper.code_url,
            githubStars=paper.code_stars,
            ai_summary=paper.short_summary,
            ai_keywords=list(paper.keywords) or None,
            organization=OrganizationPublic(name=paper.organization)
            if paper.organization
            else None,
            arxivId=paper.arxiv_id,
            version=paper.version,
            categories=list(paper.categories),
            dailyDate=entry.list_date.isoformat() if entry else None,
            doi=paper.doi,
            journalRef=paper.journal_ref,
            aiSummaryOrigin=paper.short_summary_origin,  # type: ignore[arg-type]
            aiKeywordsOrigin=("source" if paper.ai_keywords else "extracted")
            if paper.keywords
            else None,
        )


class DailyPaperPublic(BaseModel):
    """One item of ``GET /api/daily_papers`` and ``GET /api/papers/search``."""

    paper: PaperPublic
    publishedAt: str | None = Field(None, description="when the paper entered its daily list")
    title: str
    summary: str
    thumbnail: str | None = None
    mediaUrls: list[str] | None = None
    numComments: int
    submittedBy: UserPublic | None = None
    organization: OrganizationPublic | None = None

    @classmethod
    def of(cls, item: PaperView) -> DailyPaperPublic:
        paper = PaperPublic.of(item)
        media = item.extras.get("media_urls")
        return cls(
            paper=paper,
            publishedAt=paper.submittedOnDailyAt or paper.publishedAt,
            title=paper.title,
            summary=paper.summary,
            thumbnail=safe_url(item.extras.get("thumbnail"), site_path=True),
            mediaUrls=[m for m in (safe_url(x, site_path=True) for x in media) if m]
            if isinstance(media, list)
            else None,
            numComments=paper.numComments,
            submittedBy=paper.submittedOnDailyBy,
            organization=paper.organization,
        )


# --- paperwire's own endpoints ------------------------------------------------------------------


class MePublic(BaseModel):
    """The member a request acts for."""

    username: str
    role: str


class VotePublic(BaseModel):
    paperId: str
    voted: bool = Field(description="whether your vote stands after the call")
    upvotes: int = Field(description="imported upvotes plus members' votes")


class SavedSearchCreate(BaseModel):
    name: Line = Field("", max_length=200)
    query: Line = Field(min_length=1, max_length=250)


class SavedSearchPublic(BaseModel):
    id: int
    name: str
    query: str
    createdAt: str
    feed: str = Field(description="the search's Atom feed")


class SubmissionCreate(BaseModel):
    id: Line = Field(min_length=1, max_length=300, description="an arXiv id or abs/pdf URL")


class SubmissionPublic(BaseModel):
    id: str
    title: str
    dailyDate: str
    added: bool = Field(description="false when the paper was already in a daily list")


class SearchResultPublic(BaseModel):
    id: str
    title: str
    authors: list[str]
    publishedAt: str | None = None
    categories: list[str]
    upvotes: int
    numComments: int
    score: float
    snippet: str


class SearchPagePublic(BaseModel):
    query: str
    mode: str
    sort: str
    page: int
    limit: int
    total: int
    pages: int
    notes: list[str]
    results: list[SearchResultPublic]

    @classmethod
    def of(cls, found: SearchPage) -> SearchPagePublic:
        """``/api/search``'s answer for a page of results (also the MCP ``search_papers``)."""
        return cls(
            query=found.query,
            mode=found.mode,
            sort=found.sort,
            page=found.page,
            limit=found.limit,
            total=found.total,
            pages=found.pages,
            notes=found.notes,
            results=[
                SearchResultPublic(
                    id=r.id,
                    title=r.title,
                    authors=r.authors,
                    publishedAt=hf_time(r.published_at),
                    categories=r.categories,
                    upvotes=r.votes,
                    numComments=r.comment_count,
                    score=r.score,
                    snippet=r.snippet_text,
                )
                for r in found.results
            ],
        )


class CommentCreate(BaseModel):
    body: Lines = Field(min_length=1, max_length=10_000, description="Markdown")
    parentId: int | None = Field(
        None, ge=1, le=2**31 - 1, description="the comment this one answers (a reply)"
    )


class CommentPublic(BaseModel):
    id: int
    paperId: str
    parentId: int | None = Field(None, description="the comment this one answers (a reply)")
    author: str
    html: str = Field(description="the Markdown rendered and sanitised")
    body: str | None = Field(None, description="the Markdown source, for its author only")
    hidden: bool
    createdAt: str
    editedAt: str | None = None


class CollectionCreate(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    description: Lines = Field("", max_length=2000)
    isPublic: StrictBool = False


class CollectionChange(BaseModel):
    name: Line | None = Field(None, min_length=1, max_length=200)
    description: Lines | None = Field(None, max_length=2000)
    isPublic: StrictBool | None = None


class CollectionPublic(BaseModel):
    id: int
    owner: str
    name: str
    slug: str
    description: str
    isPublic: bool
    numPapers: int
    updatedAt: str
    feed: str = Field(description="the collection's Atom feed (public collections)")


class SubscriptionCreate(BaseModel):
    """A request for a digest, from ``POST /api/subscriptions`` or the /subscribe form."""

    email: Lines = Field(max_length=320)  # line breaks get clean_address's own refusal
    frequency: Literal["daily", "weekly"] = "daily"
    topics: list[Line] = Field(default_factory=list, max_length=MAX_TOPICS)
    categories: list[Line] = Field(default_factory=list, max_length=MAX_TOPICS)
    skip_empty: StrictBool = False

    def preferences(self) -> Preferences:
        return preferences(self.frequency, self.topics, self.categories, self.skip_empty)


class AuthorRefPublic(BaseModel):
    name: str
    slug: str


class AuthorPagePublic(BaseModel):
    """``GET /api/authors/{slug}``: the author page's data."""

    slug: str
    name: str
    names: list[str] = Field(description="the spellings met on papers")
    numPapers: int
    maybeSeveralPeople: bool = Field(description="the name may cover several people")
    seeAlso: list[AuthorRefPublic]
    coauthors: list[AuthorRefPublic]
    categories: list[str]
    user: UserPublic | None = Field(default=None, description="the member who claimed this author")
    status: str | None = None
    papers: list[PaperPublic] = Field(description="newest first")

    @classmethod
    def of(cls, page: AuthorPage) -> AuthorPagePublic:
        author = page.author
        return cls(
            slug=author.slug,
            name=author.name,
            names=list(author.names),
            numPapers=page.total,
            maybeSeveralPeople=author.several,
            seeAlso=[AuthorRefPublic(name=n, slug=s) for n, s in author.see_also],
            coauthors=[AuthorRefPublic(name=n, slug=s) for n, s, _ in author.coauthors],
            categories=[c for c, _ in author.categories],
            user=_member(author.claimed_by) if author.claimed_by else None,
            status="claimed_verified" if author.claimed_by else None,
            papers=[PaperPublic.of(p) for p in page.papers],
        )
