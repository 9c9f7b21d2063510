"""The read model: one loader, a fixed number of statements whatever the number of papers, the
upvote formula and the link rule once, the asking member's own state, on both engines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, update

from paperwire.accounts.users import create_user
from paperwire.community.collections import add_paper, create_collection
from paperwire.community.comments import add_comment, set_comment_hidden
from paperwire.db.engine import session_scope
from paperwire.db.models import Paper
from paperwire.papers.readmodel import load_paper, load_papers, paper_links
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.papers.votes import cast_vote
from tests.statements import counted


def _records(count: int) -> list[PaperRecord]:
    return [
        PaperRecord(
            id=f"2406.{i:05d}",
            arxiv_id=f"2406.{i:05d}",
            title=f"Paper {i}",
            source="arxiv",
            abstract=f"Abstract of paper {i}.",
            authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
            categories=["cs.CL", "cs.LG"],
            published_at=datetime(2024, 6, 1, 12, 0),
            links=[{"kind": "code", "url": f"https://github.com/a/p{i}"}],
            upvotes_baseline=i,
            entry=EntryRecord(
                list_date=date(2024, 6, 3), source="hf", submitter_name="ak", imported_comments=2
            ),
        )
        for i in range(count)
    ]


def test_the_loader_reads_any_number_of_papers_in_a_fixed_number_of_statements(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        upsert_papers(session, _records(120))
        member = create_user(session, "reader", "reader@example.org", "a long password 123")
        member_id = member.id
    counts = {}
    for size in (1, 30, 120):
        ids = [f"2406.{i:05d}" for i in range(size)]
        for viewer in (None, member_id):
            with session_scope(engine) as session, counted(engine) as seen:
                views = load_papers(session, ids, viewer_id=viewer)
            assert [v.id for v in views] == ids
            counts[(size, viewer)] = len(seen)
    assert {counts[(s, None)] for s in (1, 30, 120)} == {2}
    assert {counts[(s, member_id)] for s in (1, 30, 120)} == {4}


def test_a_view_holds_everything_a_surface_shows(engine: Engine) -> None:
    with session_scope(engine) as session:
        upsert_papers(session, _records(3))
        member = create_user(session, "reader", "reader@example.org", "a long password 123")
        other = create_user(session, "other", "other@example.org", "a long password 123")
        cast_vote(session, member.id, "2406.00002")
        cast_vote(session, other.id, "2406.00002")
        kept = create_collection(session, member, "To read")
        add_paper(session, member, kept.id, "2406.00001")
        comment = add_comment(session, other, "2406.00002", "A fine paper.")
        add_comment(session, other, "2406.00002", "Second thoughts.")
        moderator = create_user(
            session, "mod", "mod@example.org", "a long password 123", "moderator"
        )
        set_comment_hidden(session, moderator, comment.id, True)
        member_id, kept_id = member.id, kept.id
    with session_scope(engine) as session:
        views = {
            v.id: v for v in load_papers(session, ["2406.00002", "2406.00001"], viewer_id=member_id)
        }
        anonymous = load_paper(session, "2406.00002")
    voted = views["2406.00002"]
    assert voted.upvotes == 2 + 2  # baseline 2 plus two members' votes, counted once
    assert voted.comment_count == 1  # the hidden comment is not counted, nor the imported two
    assert voted.imported_comments == 2
    assert voted.voted and voted.viewer is not None and voted.viewer.collections == ()
    assert views["2406.00001"].viewer is not None
    assert views["2406.00001"].viewer.collections == (kept_id,)
    assert not views["2406.00001"].voted
    assert anonymous is not None and anonymous.viewer is None and not anonymous.voted
    assert voted.authors == ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra")
    assert voted.card_authors == ("Ada Lovelace", "Alan Turing", "Grace Hopper")
    assert voted.entry is not None and voted.list_date == date(2024, 6, 3)
    assert voted.submitter is not None and voted.submitter.name == "ak"
    assert voted.links.abs == "https://arxiv.org/abs/2406.00002"
    assert voted.code_url == "https://github.com/a/p2"


def test_hidden_and_unknown_papers_are_left_out(engine: Engine) -> None:
    with session_scope(engine) as session:
        upsert_papers(session, _records(3))
        session.execute(update(Paper).where(Paper.id == "2406.00001").values(hidden=True))
    with session_scope(engine) as session:
        views = load_papers(session, ["2406.00002", "2406.00001", "9999.99999", "2406.00000"])
        assert [v.id for v in views] == ["2406.00002", "2406.00000"]
        assert load_paper(session, "2406.00001") is None


def test_the_link_rule_puts_a_source_field_first_and_renders_only_http() -> None:
    links = paper_links(
        "2406.00001",
        [
            {"kind": "code", "url": "https://github.com/found/in-abstract"},
            {"kind": "code", "url": "javascript:alert(1)"},
            {"kind": "project", "url": "data:text/html,<script>alert(1)</script>"},
        ],
        {"github_repo": "https://github.com/hf/field", "project_page": "javascript:alert(2)"},
    )
    assert links.code == ("https://github.com/hf/field", "https://github.com/found/in-abstract")
    assert links.project == ()
    assert links.pdf == "https://arxiv.org/pdf/2406.00001"
