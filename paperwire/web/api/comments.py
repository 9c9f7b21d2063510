"""Comments over the API: read a paper's discussion (as the asking member may see it), and write,
edit and delete one's own comments. The rules are ``community.comments``'s, as on the pages."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from paperwire.community import comments
from paperwire.db.models import Comment, User
from paperwire.papers.ids import canonical_id
from paperwire.web.api.hf import PaperId
from paperwire.web.api.own import MEMBER_ERRORS
from paperwire.web.api.schemas import CommentCreate, CommentPublic, hf_time
from paperwire.web.auth import CurrentUser, OptionalUser
from paperwire.web.deps import SessionDep
from paperwire.web.inputs import RowId

router = APIRouter(prefix="/api", tags=["members"], responses=MEMBER_ERRORS)
CommentId = RowId


def _own(comment: Comment, author: User) -> CommentPublic:
    return CommentPublic(
        id=comment.id,
        paperId=comment.paper_id,
        parentId=comment.parent_id,
        author=author.username,
        html=comment.body_html,
        body=comment.body,
        hidden=comment.hidden,
        createdAt=hf_time(comment.created_at) or "",
        editedAt=hf_time(comment.edited_at),
    )


@router.get(
    "/papers/{paper_id:paper_id}/comments",
    response_model=list[CommentPublic],
    response_model_exclude_none=True,
    summary="A paper's discussion: each comment, oldest first, followed by its replies",
)
def list_comments(
    paper_id: PaperId, session: SessionDep, user: OptionalUser
) -> list[CommentPublic]:
    return [
        CommentPublic(
            id=view.id,
            paperId=view.paper_id,
            parentId=view.parent_id,
            author=view.author,
            html=view.html,
            body=view.body or None,
            hidden=view.hidden,
            createdAt=hf_time(view.created_at) or "",
            editedAt=hf_time(view.edited_at),
        )
        for view in comments.comments_for(session, canonical_id(paper_id), user)
    ]


@router.post(
    "/papers/{paper_id:paper_id}/comments",
    response_model=CommentPublic,
    status_code=201,
    summary="Comment on a paper (Markdown)",
)
def add_comment(
    paper_id: PaperId, body: CommentCreate, session: SessionDep, user: CurrentUser
) -> CommentPublic:
    comment = comments.post_comment(session, user, canonical_id(paper_id), body.body, body.parentId)
    return _own(comment, user)


@router.patch("/comments/{comment_id}", response_model=CommentPublic, summary="Edit your comment")
def edit_comment(
    comment_id: CommentId, body: CommentCreate, session: SessionDep, user: CurrentUser
) -> CommentPublic:
    comment = comments.edit_comment(session, user, comment_id, body.body)
    return _own(comment, user)


@router.delete("/comments/{comment_id}", status_code=204, summary="Delete your comment")
def delete_comment(comment_id: CommentId, session: SessionDep, user: CurrentUser) -> Response:
    comments.delete_comment(session, user, comment_id)
    return Response(status_code=204)
