"""Members acting on papers: upvote and un-vote, comment (write, edit, delete), and moderators hiding
comments and papers, with the ``/moderation`` page listing what is hidden.

Every action is a form POST that redirects back (works without JavaScript); ``static/vote.js`` posts
the same vote form with ``Accept: application/json`` and gets the new count instead.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from paperwire.authors import claims
from paperwire.community import comments, moderation
from paperwire.papers import votes
from paperwire.web.auth import CurrentUser, ModeratorUser
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.forms import FormFields, back
from paperwire.web.inputs import RowId, form_number
from paperwire.web.templating import paper_url, render

router = APIRouter()


def _comment_url(paper_id: str, comment_id: int | None = None) -> str:
    return paper_url(paper_id) + (f"#comment-{comment_id}" if comment_id else "#discussion")


@router.post("/papers/{paper_id:paper_id}/vote")
def vote(
    request: Request, paper_id: str, db: SessionDep, user: CurrentUser, form: FormFields
) -> Response:
    """Vote (``action=vote``, the default) or take the vote back (``action=unvote``)."""
    if form.get("action") == "unvote":
        result = votes.retract_vote(db, user.id, paper_id)
    else:
        result = votes.cast_vote(db, user.id, paper_id)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {"paper_id": paper_id, "voted": result.voted, "upvotes": result.upvotes}
        )
    return back(paper_url(paper_id), form.get("next"))


@router.post("/papers/{paper_id:paper_id}/comments")
def add_comment(
    request: Request, paper_id: str, db: SessionDep, user: CurrentUser, form: FormFields
) -> Response:
    parent = form.get("parent", "").strip()
    parent_id = form_number(parent, "parent") if parent else None
    comment = comments.post_comment(db, user, paper_id, form.get("body", ""), parent_id)
    return back(_comment_url(paper_id, comment.id))


@router.post("/comments/{comment_id}/edit")
def edit_comment(
    request: Request, comment_id: RowId, db: SessionDep, user: CurrentUser, form: FormFields
) -> Response:
    comment = comments.edit_comment(db, user, comment_id, form.get("body", ""))
    return back(_comment_url(comment.paper_id, comment.id))


@router.post("/comments/{comment_id}/delete")
def delete_comment(comment_id: RowId, db: SessionDep, user: CurrentUser) -> Response:
    paper_id = comments.delete_comment(db, user, comment_id)
    return back(_comment_url(paper_id))


@router.post("/comments/{comment_id}/hide")
def hide_comment(comment_id: RowId, db: SessionDep, user: ModeratorUser) -> Response:
    comment = comments.set_comment_hidden(db, user, comment_id, True)
    return back(_comment_url(comment.paper_id, comment.id))


@router.post("/comments/{comment_id}/unhide")
def unhide_comment(
    request: Request, comment_id: RowId, db: SessionDep, user: ModeratorUser, form: FormFields
) -> Response:
    comment = comments.set_comment_hidden(db, user, comment_id, False)
    return back(_comment_url(comment.paper_id, comment.id), form.get("next"))


@router.post("/papers/{paper_id:paper_id}/hide")
def hide_paper(
    paper_id: str, db: SessionDep, settings: SettingsDep, user: ModeratorUser
) -> Response:
    moderation.set_paper_hidden(db, settings, user, paper_id, True)
    return back("/moderation")


@router.post("/papers/{paper_id:paper_id}/unhide")
def unhide_paper(
    paper_id: str, db: SessionDep, settings: SettingsDep, user: ModeratorUser
) -> Response:
    moderation.set_paper_hidden(db, settings, user, paper_id, False)
    return back(paper_url(paper_id))


@router.get("/moderation")
def moderation_page(request: Request, db: SessionDep, user: ModeratorUser) -> Response:
    return render(
        request,
        "moderation.html",
        {
            "papers": moderation.hidden_papers(db),
            "comments": comments.hidden_comments(db),
            "claims": claims.pending_claims(db),
            "claimants": claims.claimants(db),
        },
    )
