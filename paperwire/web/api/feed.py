"""The member's "For you" feed in the API: ``GET /api/me/feed`` (the Hugging Face daily-papers
item shape plus ``score`` and ``reason``), ``POST /api/me/feedback`` and ``DELETE`` to take a
signal back. Everything acts for the member the request proves (cookie or token) alone."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, TypeAdapter
from starlette.responses import Response

from paperwire.recommend import feedback
from paperwire.recommend.feed import MAX_LIMIT, FeedItem, for_you
from paperwire.web.api.own import MEMBER_ERRORS
from paperwire.web.api.schemas import DailyPaperPublic
from paperwire.web.auth import CurrentUser
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.inputs import IsoDate, Line

router = APIRouter(prefix="/api", tags=["members"], responses=MEMBER_ERRORS)


class FeedItemPublic(DailyPaperPublic):
    """A daily-papers item ranked for you: how well it fits (higher is better; none when the
    paper has no embedding yet) and why it was picked, in one line."""

    score: float | None = None
    reason: str

    @classmethod
    def of_item(cls, item: FeedItem) -> FeedItemPublic:
        base = DailyPaperPublic.of(item.paper)
        score = None if item.score is None else round(item.score, 5)
        return cls(**base.model_dump(), score=score, reason=item.reason)


_ITEMS = TypeAdapter(list[FeedItemPublic])


class FeedbackCreate(BaseModel):
    paper: Line = Field(min_length=1, max_length=300, description="an arXiv id")
    signal: Literal["more_like_this", "not_interested"]


class FeedbackPublic(BaseModel):
    paper: str
    signal: str
    given: bool = Field(description="whether the signal stands after the call")


@router.get(
    "/me/feed",
    response_model=list[FeedItemPublic],
    response_model_exclude_none=True,
    summary="Papers of a day, week or month ranked for you",
)
def feed(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    period: Literal["day", "week", "month"] = "day",
    date: Annotated[
        IsoDate | None, Query(description="a day of the period (default: the latest list)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    hide_read: Annotated[bool, Query(description="leave out the papers you marked read")] = False,
) -> Response:
    found = for_you(
        settings, session, user, period=period, day=date, limit=limit, hide_read=hide_read
    )
    body = _ITEMS.dump_json([FeedItemPublic.of_item(i) for i in found.items], exclude_none=True)
    return Response(body, media_type="application/json")


@router.post("/me/feedback", response_model=FeedbackPublic, summary="More like this, or not")
def give(body: FeedbackCreate, session: SessionDep, user: CurrentUser) -> FeedbackPublic:
    """Idempotent; giving one of the two replaces the other."""
    row = feedback.give_feedback(session, user, body.paper, body.signal)
    return FeedbackPublic(paper=row.paper_id or body.paper, signal=body.signal, given=True)


@router.delete("/me/feedback", response_model=FeedbackPublic, summary="Take a signal back")
def take_back(body: FeedbackCreate, session: SessionDep, user: CurrentUser) -> FeedbackPublic:
    feedback.take_back(session, user, body.paper, body.signal)
    return FeedbackPublic(paper=body.paper, signal=body.signal, given=False)
