"""The notes and read-marks service (issue 23) on SQLite and PostgreSQL: a note is sanitised like a
comment, bounded, only on visible papers, and its owner's alone; read marks come with the read
model's viewer state in the statements it already runs, for their owner only, and leave a day's
list only for the member who hides them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from paperwire.community import notes
from paperwire.db.models import User
from paperwire.errors import PaperNotFound
from paperwire.papers.daily import daily_list
from paperwire.papers.readmodel import load_papers
from tests.web.members import add_member
from tests.web.served import FRIDAY, load_sample

PAPER, OTHER, GAMMA = "2406.00001", "2406.00002", "hep-th/9901001"


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    load_sample(engine)
    for name in ("ada", "bob"):
        add_member(engine, name)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _user(db: Session, name: str) -> User:
    return db.query(User).filter_by(username=name).one()


def test_a_note_is_sanitised_bounded_and_its_owners_alone(db: Session) -> None:
    ada, bob = _user(db, "ada"), _user(db, "bob")
    saved = notes.save_note(db, ada, PAPER, "[x](javascript:alert(1)) <img src=x> **b** $a_1$")
    db.commit()
    assert saved is not None
    assert 'href="javascript' not in saved.html and "<img" not in saved.html
    assert "<strong>b</strong>" in saved.html and '<span class="tex">$a_1$</span>' in saved.html
    assert notes.get_note(db, bob, PAPER) is None
    assert notes.member_notes(db, bob) == []
    assert notes.notes_by_paper(db, bob, [PAPER]) == {}
    assert [n.paper.id for n in notes.member_notes(db, ada)] == [PAPER]
    with pytest.raises(notes.InvalidNote):
        notes.save_note(db, ada, PAPER, "x" * (notes.MAX_NOTE + 1))
    with pytest.raises(PaperNotFound):  # hidden by a moderator
        notes.save_note(db, ada, "2406.00004", "hidden")
    assert notes.delete_note(db, bob, PAPER) is False  # Bob's: none; Ada's stays
    assert notes.get_note(db, ada, PAPER) is not None
    assert notes.save_note(db, ada, PAPER, "  \r\n ") is None  # empty: deleted
    assert notes.get_note(db, ada, PAPER) is None


def test_read_marks_in_the_read_model_and_lists_for_their_owner(
    db: Session, engine: Engine
) -> None:
    ada, bob = _user(db, "ada"), _user(db, "bob")
    ids = [PAPER, OTHER, GAMMA]
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    load_papers(db, ids, viewer_id=ada.id)
    unmarked = len(statements)
    notes.mark_read(db, ada, PAPER)
    notes.mark_read(db, ada, PAPER)  # twice changes nothing
    db.commit()
    statements.clear()
    views = {v.id: v for v in load_papers(db, ids, viewer_id=ada.id)}
    assert len(statements) == unmarked  # no statement more, with marks or without
    assert views[PAPER].read and not views[OTHER].read
    assert not any(v.read for v in load_papers(db, ids, viewer_id=bob.id))
    assert not any(v.read for v in load_papers(db, ids))

    listing = daily_list(db, FRIDAY)
    assert [p.id for p in notes.unread_listing(db, ada.id, listing).papers] == [
        p.id for p in listing.papers if p.id != PAPER
    ]
    assert notes.unread_listing(db, bob.id, listing) == listing
    assert notes.unmark_read(db, ada, PAPER) is False
    db.commit()
    assert notes.read_among(db, ada.id, ids) == set()
