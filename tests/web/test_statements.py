"""Every surface reads papers through the read model's one loader, so rendering a list costs the
same small number of SQL statements however many papers it shows: the daily page (HTML), its JSON,
its Atom feed, and a search, each at 30 papers and at 90, on both engines."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.search import index
from paperwire.web.app import create_app
from tests.conftest import TEST_SECRET
from tests.statements import counted

DAY = date(2026, 3, 10)


def _load(engine: Engine, count: int) -> None:
    records = [
        PaperRecord(
            id=f"2603.{i:05d}",
            arxiv_id=f"2603.{i:05d}",
            version=1,
            title=f"Graph networks for molecules, part {i}",
            source="test",
            abstract="Message passing over molecular graphs predicts properties of molecules.",
            authors=["Ada Lovelace", "Alan Turing"],
            categories=["cs.LG"],
            links=[{"kind": "code", "url": f"https://github.com/a/p{i}"}],
            upvotes_baseline=i,
            entry=EntryRecord(
                list_date=DAY,
                source="test",
                submitted_at=datetime(2026, 3, 10, 9),
                submitter_name="ak",
            ),
        )
        for i in range(1, count + 1)
    ]
    with session_scope(engine) as session:
        upsert_papers(session, records)


URLS = {
    "daily page": f"/papers/date/{DAY}",
    "daily JSON": f"/api/daily_papers?date={DAY}&limit=100",
    "daily Atom": f"/daily.atom?date={DAY}",
    "search JSON": "/api/papers/search?q=molecules&limit=100",
    "search page": "/search?q=molecules&mode=lexical",
}


def _statements(database_url: str, home: Path, count: int) -> dict[str, int]:
    settings = load_settings(
        {
            "PAPERWIRE_HOME": str(home),
            "PAPERWIRE_DATABASE_URL": database_url,
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
            "PAPERWIRE_API_RATE_LIMIT": "0",
        }
    )
    app = create_app(settings)
    engine: Engine = app.state.engine
    _load(engine, count)
    index.sync(settings, engine, embed=False)
    counts = {}
    with TestClient(app) as http:
        for name, url in URLS.items():
            with counted(engine) as statements:
                response = http.get(url)
            assert response.status_code == 200, (name, response.text[:300])
            counts[name] = len(statements)
    return counts


def test_every_surface_reads_a_list_in_a_fixed_number_of_statements(
    database_url: str, tmp_path: Path
) -> None:
    small = _statements(database_url, tmp_path / "small", 30)
    large = _statements(database_url, tmp_path / "large", 90)
    assert small == large
    assert all(1 <= n <= 8 for n in large.values()), large
