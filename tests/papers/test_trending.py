"""The trending score: votes with time decay over a window, the same function everywhere."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from paperwire.db.engine import session_scope
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.papers.trending import trending, trending_score

NOW = datetime(2026, 6, 10, 12, 0, 0)


def _paper(pid: str, upvotes: int, hours_ago: float) -> PaperRecord:
    when = NOW - timedelta(hours=hours_ago)
    return PaperRecord(
        id=pid,
        arxiv_id=pid,
        title=f"Paper {pid}",
        source="test",
        upvotes_baseline=upvotes,
        entry=EntryRecord(list_date=when.date(), source="test", submitted_at=when),
    )


def test_score_decays_with_age() -> None:
    fresh = trending_score(10, NOW, NOW)
    day_old = trending_score(10, NOW - timedelta(hours=24), NOW)
    assert fresh > day_old > 0
    assert trending_score(0, NOW, NOW) == 0


def test_ranking_window_and_anchor(engine: Engine) -> None:
    with session_scope(engine) as session:
        upsert_papers(
            session,
            [
                _paper("2606.00001", 50, 100),  # many votes, four days old
                _paper("2606.00002", 12, 2),  # few votes, fresh: should lead
                _paper("2606.00003", 500, 24 * 9),  # outside the 7-day window
            ],
        )
    with session_scope(engine) as session:
        ranked = trending(session, now=NOW)
        assert [t.card.id for t in ranked] == ["2606.00002", "2606.00001"]
        assert ranked[0].score > ranked[1].score
        # With no "now" given and no submission in the last week, the window ends at the last one.
        anchored = trending(session)
        assert [t.card.id for t in anchored][:1] == ["2606.00002"]
        assert trending(session, now=NOW, limit=1, offset=1)[0].card.id == "2606.00001"
        assert date(2026, 6, 10) == ranked[0].card.list_date
