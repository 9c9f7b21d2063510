"""Votes: one per member per paper, ``vote_count`` always equal to the votes, on both databases."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select, update

from paperwire.accounts.users import create_user
from paperwire.db.engine import session_scope
from paperwire.db.models import Paper, Vote
from paperwire.errors import PaperNotFound
from paperwire.papers.readmodel import load_papers
from paperwire.papers.records import PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.papers.votes import cast_vote, retract_vote


@pytest.fixture
def setup(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        upsert_papers(
            session,
            [
                PaperRecord(
                    id=pid, arxiv_id=pid, title=f"Paper {pid}", source="test", upvotes_baseline=base
                )
                for pid, base in (("2401.00001", 10), ("2401.00002", 0))
            ],
        )
        ada = create_user(session, "ada", "ada@example.org", "pw-123456")
        bob = create_user(session, "bob", "bob@example.org", "pw-123456")
        return ada.id, bob.id


def counts(engine: Engine, paper_id: str) -> tuple[int, int]:
    """(stored vote_count, number of vote rows) for a paper."""
    with session_scope(engine) as session:
        stored = session.scalar(select(Paper.vote_count).where(Paper.id == paper_id))
        rows = session.scalar(
            select(func.count()).select_from(Vote).where(Vote.paper_id == paper_id)
        )
    return stored or 0, rows or 0


def test_same_vote_twice_counts_once(engine: Engine, setup: tuple[int, int]) -> None:
    ada, _ = setup
    with session_scope(engine) as session:
        first = cast_vote(session, ada, "2401.00001")
    with session_scope(engine) as session:
        second = cast_vote(session, ada, "2401.00001")
    assert (first.changed, first.voted, first.vote_count, first.upvotes) == (True, True, 1, 11)
    assert (second.changed, second.voted, second.vote_count, second.upvotes) == (False, True, 1, 11)
    assert counts(engine, "2401.00001") == (1, 1)


def test_two_members_then_retract(engine: Engine, setup: tuple[int, int]) -> None:
    ada, bob = setup
    with session_scope(engine) as session:
        cast_vote(session, ada, "2401.00002")
        cast_vote(session, bob, "2401.00002")
        cast_vote(session, bob, "2401.00001")
        ids = ["2401.00001", "2401.00002", "9999.99999"]
        assert {v.id for v in load_papers(session, ids, viewer_id=bob) if v.voted} == {
            "2401.00001",
            "2401.00002",
        }
    assert counts(engine, "2401.00002") == (2, 2)
    with session_scope(engine) as session:
        gone = retract_vote(session, ada, "2401.00002")
    with session_scope(engine) as session:
        again = retract_vote(session, ada, "2401.00002")
    assert (gone.changed, gone.voted, gone.vote_count, gone.upvotes) == (True, False, 1, 1)
    assert (again.changed, again.vote_count) == (False, 1)
    assert counts(engine, "2401.00002") == (1, 1)
    assert counts(engine, "2401.00001") == (1, 1)
    with session_scope(engine) as session:
        assert not any(
            v.voted for v in load_papers(session, ["2401.00001", "2401.00002"], viewer_id=ada)
        )


def test_a_failed_transaction_leaves_count_and_votes_as_they_were(
    engine: Engine, setup: tuple[int, int]
) -> None:
    ada, _ = setup
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        cast_vote(session, ada, "2401.00001")
        raise RuntimeError("the request failed after the vote")
    assert counts(engine, "2401.00001") == (0, 0)


def test_vote_time_is_kept(engine: Engine, setup: tuple[int, int]) -> None:
    ada, _ = setup
    when = datetime(2026, 5, 4, 9, 30)
    with session_scope(engine) as session:
        cast_vote(session, ada, "2401.00001", at=when)
    with session_scope(engine) as session:
        assert session.scalar(select(Vote.created_at)) == when


def test_unknown_or_hidden_paper_is_not_found(engine: Engine, setup: tuple[int, int]) -> None:
    ada, _ = setup
    with pytest.raises(PaperNotFound, match=r"9999\.99999"), session_scope(engine) as session:
        cast_vote(session, ada, "9999.99999")
    with session_scope(engine) as session:
        session.execute(update(Paper).where(Paper.id == "2401.00002").values(hidden=True))
    with pytest.raises(PaperNotFound), session_scope(engine) as session:
        cast_vote(session, ada, "2401.00002")
    assert counts(engine, "2401.00002") == (0, 0)


def test_votes_cast_at_the_same_time_are_all_counted(
    engine: Engine, setup: tuple[int, int]
) -> None:
    """Two members vote on one paper in overlapping transactions: the second must wait for the
    first and count its vote, not overwrite the count with a stale one."""
    ada, bob = setup
    errors: list[BaseException] = []

    def second_vote() -> None:
        try:
            with session_scope(engine) as session:
                cast_vote(session, bob, "2401.00001")
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    with session_scope(engine) as session:
        cast_vote(session, ada, "2401.00001")
        other = threading.Thread(target=second_vote)
        other.start()
        # Let the other transaction reach the paper row while this one still holds it.
        time.sleep(0.5)
    other.join(timeout=60)
    assert not other.is_alive()
    assert errors == []
    assert counts(engine, "2401.00001") == (2, 2)
