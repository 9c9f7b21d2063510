"""Merging papers into the database: versions, gaps, unions, daily-list dates, idempotence, and the
SQLite bulk-insert path storing exactly what SQLAlchemy would."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, text

from paperwire.db.engine import session_scope
from paperwire.db.models import DailyEntry, Paper
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import UpsertResult, upsert_papers


def _record(**fields: Any) -> PaperRecord:
    base: dict[str, Any] = {
        "id": "2403.04640",
        "arxiv_id": "2403.04640",
        "title": "First title",
        "source": "arxiv",
        "version": 1,
        "abstract": "First abstract.",
        "authors": ["Ada Lovelace"],
        "categories": ["cs.CL"],
        "published_at": datetime(2024, 3, 7, 18, 0),
        "updated_at": datetime(2024, 3, 7, 18, 0),
        "links": [{"kind": "code", "url": "https://github.com/a/b"}],
    }
    base.update(fields)
    return PaperRecord(**base)


def _upsert(engine: Engine, *records: PaperRecord) -> UpsertResult:
    with session_scope(engine) as session:
        return upsert_papers(session, records)


def _paper(engine: Engine, paper_id: str = "2403.04640") -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(
            conn.execute(select(Paper.__table__).where(Paper.id == paper_id)).mappings().one()
        )


def _entry(engine: Engine, paper_id: str = "2403.04640") -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(
            conn.execute(select(DailyEntry.__table__).where(DailyEntry.paper_id == paper_id))
            .mappings()
            .one()
        )


def test_a_newer_version_replaces_the_content(engine: Engine) -> None:
    _upsert(engine, _record())
    result = _upsert(
        engine,
        _record(
            version=2,
            title="Second title",
            abstract="Second abstract.",
            authors=["Ada Lovelace", "Charles Babbage"],
            updated_at=datetime(2024, 5, 1),
        ),
    )
    assert (result.added, result.updated, result.unchanged) == (0, 1, 0)
    paper = _paper(engine)
    assert paper["version"] == 2
    assert paper["title"] == "Second title"
    assert paper["abstract"] == "Second abstract."
    assert paper["authors"] == ["Ada Lovelace", "Charles Babbage"]
    assert paper["published_at"] == datetime(2024, 3, 7, 18, 0)
    assert paper["updated_at"] == datetime(2024, 5, 1)


def test_an_older_version_only_fills_gaps(engine: Engine) -> None:
    _upsert(engine, _record(version=2, title="Second title", doi=None))
    _upsert(
        engine,
        _record(
            version=1,
            title="First title",
            doi="10.1/x",
            published_at=datetime(2024, 3, 6),
            updated_at=datetime(2024, 3, 6),
        ),
    )
    paper = _paper(engine)
    assert paper["version"] == 2
    assert paper["title"] == "Second title"
    assert paper["doi"] == "10.1/x"
    assert paper["published_at"] == datetime(2024, 3, 6)
    assert paper["updated_at"] == datetime(2024, 3, 7, 18, 0)


def test_links_sources_and_extras_are_unions(engine: Engine) -> None:
    _upsert(engine, _record(extras={"license": "cc-by"}))
    _upsert(
        engine,
        _record(
            source="hf",
            version=None,
            links=[
                {"kind": "code", "url": "https://github.com/a/b.git"},
                {"kind": "project", "url": "https://a.github.io/b/"},
            ],
            extras={"ai_summary": "short"},
            upvotes_baseline=12,
        ),
    )
    paper = _paper(engine)
    assert paper["sources"] == ["arxiv", "hf"]
    assert paper["links"] == [
        {"kind": "code", "url": "https://github.com/a/b"},
        {"kind": "project", "url": "https://a.github.io/b/"},
    ]
    assert paper["extras"] == {"license": "cc-by", "ai_summary": "short"}
    assert paper["upvotes_baseline"] == 12


def test_the_earliest_daily_list_date_wins(engine: Engine) -> None:
    def listed(day: date, who: str) -> PaperRecord:
        return _record(
            entry=EntryRecord(list_date=day, source="hf", submitter_name=who),
        )

    # Within one batch and across batches, in either order.
    _upsert(engine, listed(date(2024, 3, 9), "late"), listed(date(2024, 3, 8), "middle"))
    assert _entry(engine)["list_date"] == date(2024, 3, 8)
    result = _upsert(engine, listed(date(2024, 3, 10), "later"))
    assert result.unchanged == 1
    assert _entry(engine)["submitter_name"] == "middle"
    result = _upsert(engine, listed(date(2024, 3, 7), "early"))
    assert result.updated == 1
    entry = _entry(engine)
    assert (entry["list_date"], entry["submitter_name"]) == (date(2024, 3, 7), "early")


def test_the_same_input_twice_changes_nothing(engine: Engine) -> None:
    records = [
        _record(entry=EntryRecord(list_date=date(2024, 3, 8), source="hf")),
        _record(id="2403.00001", arxiv_id="2403.00001", extras={"k": [1, 2]}),
    ]
    first = _upsert(engine, *records)
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    before = (_paper(engine), _paper(engine, "2403.00001"), _entry(engine))
    again = _upsert(engine, *[replace(r) for r in records])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert (_paper(engine), _paper(engine, "2403.00001"), _entry(engine)) == before


def test_bulk_insert_stores_what_sqlalchemy_would(engine: Engine) -> None:
    """The SQLite path writes driver values itself; the raw stored text must match Core's."""
    _upsert(engine, _record(extras={"ai_keywords": ["a", "b"], "stars": 3}))
    row = _paper(engine)
    row["id"] = row["arxiv_id"] = "2403.99999"
    with engine.begin() as conn:
        conn.execute(insert(Paper.__table__), [row])
    columns = ", ".join(c.key for c in Paper.__table__.columns if c.key not in ("id", "arxiv_id"))
    with engine.connect() as conn:
        raw = conn.execute(text(f"SELECT {columns} FROM papers ORDER BY id")).all()
    assert raw[0] == raw[1]


def test_an_entry_without_a_time_counts_from_the_start_of_its_day(engine: Engine) -> None:
    """Imported into a past list, an entry must not look brand new to trending."""
    _upsert(engine, _record(entry=EntryRecord(list_date=date(2024, 3, 8), source="hf")))
    assert _entry(engine)["submitted_at"] == datetime(2024, 3, 8, 0, 0)
