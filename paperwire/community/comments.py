"""Comments on papers: Markdown rendered once at write time and sanitised with nh3 (TeX between
dollars kept apart from Markdown and marked for KaTeX, as titles are), written, edited and deleted
by their author only, hidden and shown again by moderators, and counted for cards. A comment may
answer another (one level: a reply to a reply joins its top comment's replies).

A hidden comment disappears for everyone but moderators (who see it marked) and its author (who
sees that it was hidden), and its replies with it; counts leave out exactly what a reader does
not see (``papers.readmodel.comment_counts``). A hidden paper's comments are not found, like the
paper, for everyone but moderators: nobody reads, edits or deletes them until it is shown again.
"""

from __future__ import annotations

import functools
import html
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import nh3
from markdown_it import MarkdownIt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from paperwire import ratelimit
from paperwire.accounts.users import has_role
from paperwire.db.models import Comment, Paper, User
from paperwire.errors import Forbidden, PaperNotFound, PaperwireError, UsageError
from paperwire.papers.records import now_utc

MAX_BODY = 10_000
# Block and inline elements a discussion needs; headings, images, tables and raw HTML are not.
ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
# $...$ and $$...$$, as titles mark them (web/templating.py): kept out of Markdown's reach, where
# ``_`` and ``*`` would turn into emphasis, and rendered by KaTeX in the browser (static/tex.js).
_TEX = re.compile(r"\$\$[^$]+\$\$|\$[^$\n]+\$")


class InvalidComment(UsageError):
    """An empty or overlong comment."""

    http_status = 400


class CommentNotFound(PaperwireError):
    http_status = 404


@dataclass(frozen=True)
class CommentView:
    """A comment as a page shows it to one viewer."""

    id: int
    paper_id: str
    parent_id: int | None  # the comment it answers (None: a comment on the paper)
    author: str
    body: str  # the Markdown source, for the author's edit form
    html: str  # sanitised HTML
    hidden: bool
    created_at: datetime
    edited_at: datetime | None
    can_edit: bool
    can_moderate: bool


@functools.cache
def _markdown() -> MarkdownIt:
    # Raw HTML off: "<script>" stays text. nh3 still cleans the output, in case a Markdown
    # construct ever yields something unexpected (javascript: links, say).
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")


def render_markdown(text: str) -> str:
    """Sanitised HTML for a comment's Markdown: links get rel="nofollow noopener ugc"; TeX spans
    become ``<span class="tex">`` holding the escaped source, for KaTeX to render."""
    spans: list[str] = []
    # A placeholder Markdown leaves alone (letters and digits), unguessable so a comment cannot
    # name one; each is replaced after sanitising by its span's escaped text.
    mark = f"pwtex{secrets.token_hex(6)}n"

    def hold(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"{mark}{len(spans) - 1}x"

    cleaned = nh3.clean(
        _markdown().render(_TEX.sub(hold, text)),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener ugc",
    )
    if not spans:
        return cleaned
    return re.sub(
        rf"{mark}(\d+)x",
        lambda m: f'<span class="tex">{html.escape(spans[int(m.group(1))], quote=False)}</span>',
        cleaned,
    )


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidComment("the comment is empty")
    if len(body) > MAX_BODY:
        raise InvalidComment(f"a comment can have at most {MAX_BODY:,} characters")
    return body


def add_comment(
    session: Session, user: User, paper_id: str, body: str, parent_id: int | None = None
) -> Comment:
    """Add the member's comment to a visible paper, or their reply to one of its comments that
    they can see (flushed, not committed)."""
    text = _clean_body(body)
    if (
        session.scalar(select(Paper.id).where(Paper.id == paper_id, Paper.hidden.is_(False)))
        is None
    ):
        raise PaperNotFound(f"There is no paper {paper_id} here (yet).")
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if (
            parent is None
            or parent.paper_id != paper_id
            or (parent.hidden and not has_role(user, "moderator") and parent.user_id != user.id)
        ):
            raise CommentNotFound(f"There is no comment {parent_id} on {paper_id} to answer.")
        parent_id = parent.parent_id or parent.id
    comment = Comment(
        paper_id=paper_id,
        parent_id=parent_id,
        user_id=user.id,
        body=text,
        body_html=render_markdown(text),
        hidden=False,
        created_at=now_utc(),
    )
    session.add(comment)
    session.flush()
    return comment


def post_comment(
    session: Session, user: User, paper_id: str, body: str, parent_id: int | None = None
) -> Comment:
    """A member comments (or replies, ``parent_id``) from the site or the API: their rate limit
    (its hit committed at once, so a refused attempt still counts), then ``add_comment`` (flushed,
    not committed)."""
    ratelimit.hit(session, "comment", f"user:{user.id}")
    session.commit()
    return add_comment(session, user, paper_id, body, parent_id)


def get_comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise CommentNotFound(f"There is no comment {comment_id}.")
    return comment


def _paper_visible_to(session: Session, paper_id: str, viewer: User | None) -> bool:
    """Whether the paper exists and ``viewer`` may see it (a hidden one: moderators only)."""
    hidden = session.scalar(select(Paper.hidden).where(Paper.id == paper_id))
    return hidden is not None and (not hidden or has_role(viewer, "moderator"))


def _own(session: Session, user: User, comment_id: int, verb: str) -> Comment:
    comment = get_comment(session, comment_id)
    if not _paper_visible_to(session, comment.paper_id, user):
        raise CommentNotFound(f"There is no comment {comment_id}.")
    if comment.user_id != user.id:
        raise Forbidden(f"Only its author can {verb} a comment.")
    return comment


def edit_comment(session: Session, user: User, comment_id: int, body: str) -> Comment:
    """Replace the text of the member's own comment."""
    comment = _own(session, user, comment_id, "edit")
    text = _clean_body(body)
    if text != comment.body:
        comment.body = text
        comment.body_html = render_markdown(text)
        comment.edited_at = now_utc()
    session.flush()
    return comment


def delete_comment(session: Session, user: User, comment_id: int) -> str:
    """Delete the member's own comment, and its replies; returns its paper's id."""
    comment = _own(session, user, comment_id, "delete")
    paper_id = comment.paper_id
    session.execute(delete(Comment).where(Comment.parent_id == comment.id))
    session.delete(comment)
    session.flush()
    return paper_id


def set_comment_hidden(session: Session, moderator: User, comment_id: int, hidden: bool) -> Comment:
    """Hide a comment from everyone but moderators and its author, or show it again."""
    if not has_role(moderator, "moderator"):
        raise Forbidden("Only a moderator can hide or show comments.")
    comment = get_comment(session, comment_id)
    comment.hidden = hidden
    comment.hidden_by_id = moderator.id if hidden else None
    session.flush()
    return comment


def comments_for(
    session: Session, paper_id: str, viewer: User | None, *, visible: bool = False
) -> list[CommentView]:
    """The paper's comments as ``viewer`` (None: anonymous) may see them, each top comment (oldest
    first) followed by its replies (oldest first); a reply whose top comment the viewer may not
    see is left out with it. ``PaperNotFound`` for a missing paper, and for a hidden one unless
    ``viewer`` moderates. ``visible``: the caller has just loaded the paper as a visible one."""
    if not visible and not _paper_visible_to(session, paper_id, viewer):
        raise PaperNotFound(f"There is no paper {paper_id} here (yet).")
    moderator = has_role(viewer, "moderator")
    viewer_id = viewer.id if viewer is not None else None
    rows = session.execute(
        select(Comment, User.username)
        .join(User, User.id == Comment.user_id)
        .where(Comment.paper_id == paper_id)
        .order_by(Comment.created_at, Comment.id)
    )
    views: list[CommentView] = []
    for comment, author in rows:
        own = comment.user_id == viewer_id
        if comment.hidden and not (moderator or own):
            continue
        views.append(
            CommentView(
                id=comment.id,
                paper_id=comment.paper_id,
                parent_id=comment.parent_id,
                author=author,
                body=comment.body if own else "",
                html=_with_tex(comment),
                hidden=comment.hidden,
                created_at=comment.created_at,
                edited_at=comment.edited_at,
                can_edit=own,
                can_moderate=moderator,
            )
        )
    shown = {view.id for view in views if view.parent_id is None}
    replies: dict[int, list[CommentView]] = {}
    for view in views:
        if view.parent_id is not None and view.parent_id in shown:
            replies.setdefault(view.parent_id, []).append(view)
    threads = []
    for view in views:
        if view.parent_id is None:
            threads += [view, *replies.get(view.id, [])]
    return threads


def _with_tex(comment: Comment) -> str:
    """The stored HTML; a comment written before TeX was marked (and holding some) is rendered
    again on the way out, so old discussions read like new ones without a data migration."""
    html = comment.body_html
    if "$" in comment.body and 'class="tex"' not in html and _TEX.search(comment.body):
        return render_markdown(comment.body)
    return html


def hidden_comments(session: Session, limit: int = 200) -> list[tuple[Comment, str]]:
    """Hidden comments, newest first, with their authors' names (for the moderation page)."""
    rows = session.execute(
        select(Comment, User.username)
        .join(User, User.id == Comment.user_id)
        .where(Comment.hidden.is_(True))
        .order_by(Comment.created_at.desc())
        .limit(limit)
    )
    return [(comment, name) for comment, name in rows]
