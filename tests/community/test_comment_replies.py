"""Replies to comments (issue 20), on SQLite and PostgreSQL: one level deep, listed under their top
comment, gone with a hidden or deleted top comment, and counted on the card exactly as the page
lists them; TeX in comments is marked for KaTeX as in titles, untouched by Markdown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.community import comments
from paperwire.community.comments import CommentNotFound
from paperwire.db.models import User
from paperwire.papers.readmodel import comment_counts
from tests.web.members import add_member
from tests.web.served import load_sample

PAPER, OTHER = "2406.00001", "2406.00002"


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    load_sample(engine)
    for name, role in (("ada", "member"), ("bob", "member"), ("mod", "moderator")):
        add_member(engine, name, role)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _user(db: Session, name: str) -> User:
    return db.query(User).filter_by(username=name).one()


def _listed(db: Session, viewer: User | None) -> list[tuple[str, int | None]]:
    return [(c.html, c.parent_id) for c in comments.comments_for(db, PAPER, viewer)]


def test_replies_are_one_level_under_their_top_comment(db: Session) -> None:
    ada, bob = _user(db, "ada"), _user(db, "bob")
    first = comments.add_comment(db, ada, PAPER, "first")
    comments.add_comment(db, bob, PAPER, "second")
    reply = comments.add_comment(db, bob, PAPER, "reply", first.id)
    # A reply to a reply joins the top comment's replies.
    deeper = comments.add_comment(db, ada, PAPER, "reply to reply", reply.id)
    db.commit()
    assert deeper.parent_id == first.id
    assert _listed(db, None) == [
        ("<p>first</p>\n", None),
        ("<p>reply</p>\n", first.id),
        ("<p>reply to reply</p>\n", first.id),
        ("<p>second</p>\n", None),
    ]
    assert comment_counts(db, [PAPER]) == {PAPER: 4}
    with pytest.raises(CommentNotFound):  # a comment of another paper is no parent here
        comments.add_comment(db, ada, OTHER, "elsewhere", first.id)
    with pytest.raises(CommentNotFound):
        comments.add_comment(db, ada, PAPER, "nothing to answer", 999_999)


def test_a_hidden_or_deleted_comment_takes_its_replies_with_it(db: Session) -> None:
    ada, bob, mod = _user(db, "ada"), _user(db, "bob"), _user(db, "mod")
    top = comments.add_comment(db, ada, PAPER, "top")
    comments.add_comment(db, bob, PAPER, "answer", top.id)
    kept = comments.add_comment(db, bob, PAPER, "kept")
    db.commit()
    comments.set_comment_hidden(db, mod, top.id, True)
    db.commit()
    # What the page lists and what the card counts agree, for a reader who cannot see it.
    assert _listed(db, None) == [("<p>kept</p>\n", None)]
    assert comment_counts(db, [PAPER]) == {PAPER: 1}
    assert len(comments.comments_for(db, PAPER, mod)) == 3  # the moderator sees it all, marked
    with pytest.raises(CommentNotFound):  # nobody else answers a hidden comment
        comments.add_comment(db, bob, PAPER, "too late", top.id)
    comments.set_comment_hidden(db, mod, top.id, False)
    comments.delete_comment(db, ada, top.id)
    db.commit()
    assert [c.id for c in comments.comments_for(db, PAPER, mod)] == [kept.id]
    assert comment_counts(db, [PAPER]) == {PAPER: 1}


def test_tex_in_comments_is_marked_for_katex_and_kept_from_markdown() -> None:
    html = comments.render_markdown("Is $a_1 * b_2 * c$ right? And $$x<y$$, *really*.")
    assert '<span class="tex">$a_1 * b_2 * c$</span>' in html
    assert '<span class="tex">$$x&lt;y$$</span>' in html
    assert "<em>really</em>" in html and "<em> b_2" not in html
    # A comment cannot forge a span: raw HTML stays text.
    assert '<span class="tex">' not in comments.render_markdown('<span class="tex">x</span>')


def test_a_comment_stored_before_tex_was_marked_reads_like_a_new_one(db: Session) -> None:
    comment = comments.add_comment(db, _user(db, "ada"), PAPER, "Take $x_1 * y_2$ here")
    comment.body_html = "<p>Take $x_1 <em> y_2$ here</p>\n"  # as the old renderer stored it
    db.commit()
    [view] = comments.comments_for(db, PAPER, None)
    assert '<span class="tex">$x_1 * y_2$</span>' in view.html
