"""Comments and moderation through the service, on SQLite and PostgreSQL: sanitised Markdown, only
authors edit and delete, moderators hide, counts leave hidden comments out, hidden papers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.community import comments, moderation
from paperwire.config import Settings, load_settings
from paperwire.db.models import Comment, Paper, User
from paperwire.errors import Forbidden, PaperNotFound
from paperwire.papers.readmodel import comment_counts
from tests.web.members import add_member
from tests.web.served import load_sample

PAPER = "2406.00001"


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    load_sample(engine)
    for name, role in (("ada", "member"), ("bob", "member"), ("mod", "moderator")):
        add_member(engine, name, role)
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings()


def _user(db: Session, name: str) -> User:
    user = db.query(User).filter_by(username=name).one()
    return user


@pytest.mark.parametrize(
    ("markdown", "present", "absent"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;", "<script"),
        ('<img src=x onerror="alert(1)">', "&lt;img", "<img"),
        ("[click](javascript:alert(1))", "click", 'href="javascript'),
        ("![x](https://example.org/x.png)", "x", "<img"),
        ("**bold** and `code`", "<strong>bold</strong> and <code>code</code>", "<script"),
        ("[paper](https://arxiv.org/abs/2406.00001)", 'rel="nofollow noopener ugc"', "onclick"),
        ("# Heading", "Heading", "<h1"),
    ],
)
def test_markdown_is_rendered_and_sanitised(markdown: str, present: str, absent: str) -> None:
    html = comments.render_markdown(markdown)
    assert present in html
    assert absent not in html


def test_authors_write_edit_and_delete_their_own_comments_only(db: Session) -> None:
    ada, bob = _user(db, "ada"), _user(db, "bob")
    comment = comments.add_comment(db, ada, PAPER, "  First *thoughts*  ")
    db.commit()
    assert comment.body == "First *thoughts*" and "<em>thoughts</em>" in comment.body_html
    with pytest.raises(Forbidden, match="Only its author can edit"):
        comments.edit_comment(db, bob, comment.id, "defaced")
    with pytest.raises(Forbidden, match="Only its author can delete"):
        comments.delete_comment(db, bob, comment.id)
    edited = comments.edit_comment(db, ada, comment.id, "Second thoughts")
    assert edited.edited_at is not None and edited.body_html == "<p>Second thoughts</p>\n"
    [seen_by_bob] = comments.comments_for(db, PAPER, bob)
    assert (seen_by_bob.author, seen_by_bob.can_edit, seen_by_bob.body) == ("ada", False, "")
    [seen_by_ada] = comments.comments_for(db, PAPER, ada)
    assert seen_by_ada.can_edit and seen_by_ada.body == "Second thoughts"
    assert comments.delete_comment(db, ada, comment.id) == PAPER
    db.commit()
    assert comments.comments_for(db, PAPER, None) == []
    with pytest.raises(comments.CommentNotFound):
        comments.edit_comment(db, ada, comment.id, "gone")


@pytest.mark.parametrize(("body", "message"), [("   ", "empty"), ("x" * 10_001, "at most")])
def test_empty_or_overlong_comments_are_refused(db: Session, body: str, message: str) -> None:
    with pytest.raises(comments.InvalidComment, match=message):
        comments.add_comment(db, _user(db, "ada"), PAPER, body)


def test_no_comment_on_a_missing_or_hidden_paper(db: Session) -> None:
    for paper_id in ("2406.99999", "2406.00004"):
        with pytest.raises(PaperNotFound):
            comments.add_comment(db, _user(db, "ada"), paper_id, "hello")


def test_moderators_hide_comments_from_everyone_but_themselves_and_the_author(
    db: Session,
) -> None:
    ada, bob, mod = _user(db, "ada"), _user(db, "bob"), _user(db, "mod")
    rude = comments.add_comment(db, ada, PAPER, "something rude")
    comments.add_comment(db, bob, PAPER, "a fair point")
    with pytest.raises(Forbidden, match="Only a moderator"):
        comments.set_comment_hidden(db, bob, rude.id, True)
    comments.set_comment_hidden(db, mod, rude.id, True)
    db.commit()
    assert [c.author for c in comments.comments_for(db, PAPER, None)] == ["bob"]
    assert [c.author for c in comments.comments_for(db, PAPER, bob)] == ["bob"]
    assert [(c.author, c.hidden) for c in comments.comments_for(db, PAPER, ada)] == [
        ("ada", True),
        ("bob", False),
    ]
    assert all(c.can_moderate for c in comments.comments_for(db, PAPER, mod))
    assert comment_counts(db, [PAPER, "2406.00002"]) == {PAPER: 1}
    assert [(c.id, name) for c, name in comments.hidden_comments(db)] == [(rude.id, "ada")]
    comments.set_comment_hidden(db, mod, rude.id, False)
    assert comment_counts(db, [PAPER]) == {PAPER: 2}


def test_moderators_hide_and_show_papers(db: Session, settings: Settings) -> None:
    with pytest.raises(Forbidden):
        moderation.set_paper_hidden(db, settings, _user(db, "ada"), PAPER, True)
    moderation.set_paper_hidden(db, settings, _user(db, "mod"), PAPER, True)
    db.commit()
    assert {p.id for p in moderation.hidden_papers(db)} == {PAPER, "2406.00004"}
    moderation.set_paper_hidden(db, settings, _user(db, "mod"), PAPER, False)
    db.commit()
    paper = db.get(Paper, PAPER)
    assert paper is not None and not paper.hidden
    with pytest.raises(PaperNotFound):
        moderation.set_paper_hidden(db, settings, _user(db, "mod"), "2406.99999", True)


def test_a_hidden_papers_comments_are_not_found_but_by_moderators(
    db: Session, settings: Settings
) -> None:
    ada, mod = _user(db, "ada"), _user(db, "mod")
    comment = comments.add_comment(db, ada, PAPER, "my take")
    moderation.set_paper_hidden(db, settings, mod, PAPER, True)
    db.commit()
    for viewer in (None, ada, _user(db, "bob")):
        with pytest.raises(PaperNotFound):
            comments.comments_for(db, PAPER, viewer)
    with pytest.raises(PaperNotFound):
        comments.comments_for(db, "2406.99999", None)  # a missing paper looks the same
    with pytest.raises(comments.CommentNotFound):
        comments.edit_comment(db, ada, comment.id, "changed while hidden")
    with pytest.raises(comments.CommentNotFound):
        comments.delete_comment(db, ada, comment.id)
    assert [c.body for c in comments.comments_for(db, PAPER, mod)] == [""]
    assert [c.author for c in comments.comments_for(db, PAPER, mod)] == ["ada"]
    db.rollback()
    stored = db.get(Comment, comment.id)
    assert stored is not None and stored.body == "my take"
    moderation.set_paper_hidden(db, settings, mod, PAPER, False)
    db.commit()
    assert comments.edit_comment(db, ada, comment.id, "shown again").body == "shown again"
