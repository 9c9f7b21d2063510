"""Loading the bundled corpus as a demo instance, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from paperwire.accounts.passwords import verify_password
from paperwire.db.engine import session_scope
from paperwire.db.models import Base, Comment, DailyEntry, Paper, User, Vote
from paperwire.demo.corpus import read_corpus
from paperwire.demo.loader import DEMO_MEMBERS, DEMO_PASSWORD, is_loaded, load_demo

KNOWN_HF_PAPER = "2605.09063"
KNOWN_HF_FILE = "hf_daily_papers/daily_papers_2026-05-12.json"


def expected_list_dates() -> set[date]:
    """Hugging Face papers keep their list's date; every other paper joins its published date."""
    records = list(read_corpus())
    listed = {r.id: r.entry.list_date for r in records if r.entry is not None}
    dates = set(listed.values())
    published: dict[str, date] = {}
    for r in records:
        if r.id not in listed and r.published_at is not None:
            day = r.published_at.date()
            published[r.id] = min(published.get(r.id, day), day)
    return dates | set(published.values())


def test_corpus_loads_with_lists_members_and_consistent_votes(engine: Engine) -> None:
    summary = load_demo(engine)
    corpus_ids = {r.id for r in read_corpus()}
    with session_scope(engine) as session:
        papers = session.scalar(select(func.count()).select_from(Paper))
        dates = set(session.scalars(select(DailyEntry.list_date).distinct()))
        entries = session.scalar(select(func.count()).select_from(DailyEntry))
        users = {u.username: u for u in session.scalars(select(User))}
        votes = session.scalar(select(func.count()).select_from(Vote))
        comments = session.scalar(select(func.count()).select_from(Comment))
        counted = dict(
            session.execute(select(Vote.paper_id, func.count()).group_by(Vote.paper_id)).all()
        )
        stored = dict(session.execute(select(Paper.id, Paper.vote_count)).all())
    assert len(corpus_ids) > 1800
    assert papers == summary.papers == len(corpus_ids)
    assert dates == expected_list_dates()
    assert summary.list_dates == len(dates) > 100
    assert (summary.first_date, summary.last_date) == (min(dates), max(dates))
    # Every paper with a first-published time is in exactly one daily list.
    assert entries == papers
    assert {(name, u.role) for name, u in users.items()} == set(DEMO_MEMBERS)
    assert verify_password(users["alice"].password_hash, DEMO_PASSWORD)
    assert not verify_password(users["alice"].password_hash, "wrong-password")
    assert votes == summary.votes == summary.votes_added > 500
    assert summary.comments_added == comments == 10
    assert {pid: n for pid, n in stored.items() if n} == counted
    assert is_loaded(engine)
    assert not is_loaded(engine, seed=1)


def test_hugging_face_lists_keep_real_date_submitter_and_upvotes(
    engine: Engine, shared_data: Path
) -> None:
    items = json.loads((shared_data / KNOWN_HF_FILE).read_text(encoding="utf-8"))
    item = next(i for i in items if i["paper"]["id"] == KNOWN_HF_PAPER)
    load_demo(engine)
    with session_scope(engine) as session:
        paper = session.get(Paper, KNOWN_HF_PAPER)
        entry = session.get(DailyEntry, KNOWN_HF_PAPER)
        demo_votes = session.scalar(
            select(func.count()).select_from(Vote).where(Vote.paper_id == KNOWN_HF_PAPER)
        )
        assert paper is not None and entry is not None
        assert paper.title == item["paper"]["title"]
        assert paper.upvotes_baseline == item["paper"]["upvotes"] == 50
        assert paper.vote_count == demo_votes
        assert entry.list_date == date(2026, 5, 12)
        assert entry.source == "hf"
        assert entry.submitter_name == item["submittedBy"]["name"]


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in a stable order."""
    out: dict[str, list[dict[str, Any]]] = {}
    with session_scope(engine) as session:
        for table in Base.metadata.sorted_tables:
            rows = [dict(r) for r in session.execute(select(table)).mappings()]
            out[table.name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def test_loading_twice_changes_nothing(engine: Engine) -> None:
    first = load_demo(engine)
    before = snapshot(engine)
    second = load_demo(engine)
    assert first.added == first.papers
    assert (second.added, second.updated, second.unchanged) == (0, 0, second.papers)
    assert (second.members_created, second.votes_added, second.comments_added) == (0, 0, 0)
    assert second.votes == first.votes
    assert snapshot(engine) == before
