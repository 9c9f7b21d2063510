"""Importing a reference library: BibTeX and CSL-JSON as reference managers export them, matched by
arXiv id, DOI or title; a file that is neither, too big or too long is refused with nothing stored;
the signals go with the account (both engines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select

from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import Signal, User
from paperwire.recommend import feedback, library
from paperwire.recommend.signals import collect
from tests.web.members import add_member
from tests.web.served import load_sample

LIBRARY = Path(__file__).resolve().parent.parent / "fixtures" / "data" / "recommend" / "library.bib"


def test_bibtex_as_reference_managers_write_it() -> None:
    fmt, entries = library.parse_library(LIBRARY.read_bytes())
    assert fmt == "BibTeX" and len(entries) == 3
    lip, millivid, talker = entries
    assert lip.arxiv_id == "2606.11180" and lip.doi == "10.48550/arxiv.2606.11180"
    assert lip.title.startswith("Lip Forcing: Few-Step")
    assert millivid.arxiv_id == "2606.09056" and millivid.title.startswith("MilliVid")
    assert talker.arxiv_id is None and talker.abstract.startswith("Joint audio-video")


def test_csl_json_as_zotero_writes_it() -> None:
    items = [
        {"id": "a", "type": "article", "title": "Alpha", "number": "arXiv:2406.00001"},
        {"id": "b", "type": "article-journal", "title": "X", "DOI": "10.1234/EPSILON.5"},
        {"id": "c", "title": "Gamma: an  old-style identifier", "URL": "https://example.org"},
    ]
    fmt, entries = library.parse_library(json.dumps(items).encode())
    assert fmt == "CSL-JSON"
    assert [e.arxiv_id for e in entries] == ["2406.00001", None, None]
    assert entries[1].doi == "10.1234/epsilon.5"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not text"),
        (b"Just some notes, no references.", "neither BibTeX nor CSL-JSON"),
        (b'{"title": "x"', "not CSL-JSON"),
        (b'{"a": 1}', "not CSL-JSON"),
        (b"@article{key, title = {Unclosed", r"line 1 \(@article\): cannot be read"),
        (b"x" * (library.MAX_BYTES + 1), "at most 5 MB"),
        (b"@misc{k, title={t}}\n" * (library.MAX_ENTRIES + 1), "more than 5,000 entries"),
        (b"[]", "holds no entries"),
    ],
)
def test_refused_files_say_why(content: bytes, message: str) -> None:
    with pytest.raises(library.LibraryRefused, match=message):
        library.parse_library(content)


@pytest.fixture
def member(engine: Engine, env: dict[str, str]) -> int:
    load_sample(engine)
    return add_member(engine, "reader")


def _import(engine: Engine, user_id: int, content: bytes) -> library.ImportReport:
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        return library.import_library(load_settings(), session, user, content)


def test_import_matches_by_id_doi_and_title_and_keeps_seeds(engine: Engine, member: int) -> None:
    bib = (
        b"@misc{a, title={Something else}, eprint={2406.00001}, archiveprefix={arXiv}}\n"
        b"@article{b, title={Renamed}, doi={https://doi.org/10.1234/epsilon.5}}\n"
        b"@article{c, title={{Gamma}: An Old-Style Identifier}}\n"
        b"@article{d, title={Unknown}, abstract={A paper about lip synchronisation.}}\n"
        b"@article{e, title={Unknown and bare}}\n"
    )
    report = _import(engine, member, bib)
    assert (report.by_arxiv_id, report.by_doi, report.by_title) == (1, 1, 1)
    assert (report.seeds, report.unused) == (1, 1)
    assert report.summary().startswith("5 entries read (BibTeX): 3 matched papers")
    with session_scope(engine) as session:
        items = collect(session, member)
        papers = {i.paper_id for i in items if i.paper_id}
        assert papers == {"2406.00001", "2406.00005", "hep-th/9901001"}
        [seed] = [i for i in items if i.paper_id is None]
        assert seed.title == "Unknown" and seed.embedding and len(seed.embedding["vector"]) == 384
    again = _import(engine, member, bib)  # a second import adds no duplicate
    assert again.already == 4 and again.seeds == 0
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Signal)) == 4
    # A file that breaks after good entries stores none of them.
    bad = b"@misc{z, eprint={2406.00002}}\n@article{b, title = {Unclosed"
    with pytest.raises(library.LibraryRefused):
        _import(engine, member, bad)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Signal)) == 4


def test_signals_removed_muted_reset_and_gone_with_the_account(engine: Engine, member: int) -> None:
    from paperwire.papers.votes import all_voted, cast_vote

    other = add_member(engine, "other")
    with session_scope(engine) as session:
        cast_vote(session, member, "2406.00001")
    with session_scope(engine) as session:
        user, stranger = session.get(User, member), session.get(User, other)
        assert user is not None and stranger is not None
        assert [i.key for i in collect(session, member)] == ["vote:2406.00001"]
        with pytest.raises(feedback.SignalNotFound):
            feedback.remove_signal(session, stranger, "vote:2406.00001")
        feedback.remove_signal(session, user, "vote:2406.00001")
    with session_scope(engine) as session:
        assert collect(session, member) == []
        assert all_voted(session, member) == {"2406.00001"}  # the upvote stays an upvote
        user = session.get(User, member)
        assert user is not None
        feedback.reset(session, user)
    with session_scope(engine) as session:
        assert [i.key for i in collect(session, member)] == ["vote:2406.00001"]
        user = session.get(User, member)
        assert user is not None
        feedback.give_feedback(session, user, "2406.00002", "not_interested")
        feedback.give_feedback(session, user, "2406.00002", "more_like_this")  # replaces it
        feedback.add_topics(load_settings(), session, user, "lip sync\nhep-th/9901001")
    with session_scope(engine) as session:
        kinds = sorted(i.kind for i in collect(session, member))
        assert kinds == ["more_like_this", "more_like_this", "topic", "upvote"]
        own = [i for i in collect(session, member) if i.own]
        stranger = session.get(User, other)
        assert stranger is not None
        with pytest.raises(feedback.SignalNotFound):
            feedback.remove_signal(session, stranger, own[0].key)
        session.execute(delete(User).where(User.id == member))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Signal)) == 0


def test_a_followed_keyphrase_is_a_signal_that_can_be_muted(engine: Engine, member: int) -> None:
    from paperwire.community import follows

    with session_scope(engine) as session:
        user = session.get(User, member)
        assert user is not None
        follows.follow(session, user, "keyphrase", "diffusion models")
    with session_scope(engine) as session:
        items = [i for i in collect(session, member) if i.kind == "followed_keyphrase"]
        assert [(i.text, i.positive) for i in items] == [("diffusion models", True)]
        assert items[0].reason == "matches the keyphrase you follow, “diffusion models”"
        user = session.get(User, member)
        assert user is not None
        feedback.remove_signal(session, user, items[0].key)
    with session_scope(engine) as session:
        assert not [i for i in collect(session, member) if i.kind == "followed_keyphrase"]
