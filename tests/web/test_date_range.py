"""Dates, weeks and months at the edges of the calendar: every page, feed and API parameter that
takes one answers 422 naming the span paperwire accepts (1900-01-01 to 2999-12-31) instead of a 500
from date arithmetic past year 9999; the search page, lenient by design, says so in a note; the
API's dates are ``YYYY-MM-DD`` only. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperwire.config import load_settings
from paperwire.db.engine import dispose_engines, make_engine
from paperwire.db.migrate import upgrade
from paperwire.web.app import create_app
from tests.conftest import TEST_SECRET, _truncate_pg
from tests.web.served import load_sample

SPAN = "dates run from 1900-01-01 to 2999-12-31"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def http(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The sample papers served in-process (nothing is written, so the cases share one instance)."""
    folder = tmp_path_factory.mktemp("dates")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'paperwire.db'}"
    else:
        url = request.getfixturevalue("pg_server_url")
    engine = make_engine(url)
    upgrade(engine) if request.param == "sqlite" else _truncate_pg(engine)
    load_sample(engine)
    engine.dispose()
    settings = load_settings(
        {
            "PAPERWIRE_HOME": str(folder / "home"),
            "PAPERWIRE_DATABASE_URL": url,
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
        }
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client
    dispose_engines()


@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/9999-12-31",
        "/papers/date/0001-01-01",
        "/papers/week/9999-W52",
        "/papers/week/0001-W01",
        "/papers/month/9999-12",
        "/papers/month/0001-01",
        "/api/daily_papers?month=9999-12",
        "/api/daily_papers?week=9999-W52",
        "/api/daily_papers?date=9999-12-31",
        "/api/search?until=9999-12-31",
        "/api/search?since=0001-01-01",
        "/daily.bib?week=9999-W52",
        "/daily.atom?date=9999-12-31",
        "/daily.jsonl?month=0001-01",
    ],
)
def test_a_date_beyond_the_span_is_refused_with_the_span(http: TestClient, url: str) -> None:
    answer = http.get(url)
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    text = answer.json()["error"] if url.startswith("/api/") else answer.text
    assert "out of range" in text and SPAN in text.replace("&#39;", "'"), text[:300]


@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/2999-12-31",
        "/papers/date/1900-01-01",
        "/papers/week/2999-W52",
        "/papers/week/1900-W01",
        "/papers/month/2999-12",
        "/papers/month/1900-01",
        "/daily.bib?week=2999-W52",
        "/api/daily_papers?month=2999-12",
        "/api/search?since=1900-01-01&until=2999-12-31",
    ],
)
def test_the_edges_of_the_span_are_answered(http: TestClient, url: str) -> None:
    assert http.get(url).status_code == 200


@pytest.mark.parametrize("until", ["0", "20260607", "2026-6-7", "1e3"])
def test_the_api_reads_dates_written_yyyy_mm_dd_only(http: TestClient, until: str) -> None:
    answer = http.get("/api/search", params={"until": until})
    assert answer.status_code == 422
    assert answer.json()["error"] == "until: must be a date written YYYY-MM-DD"


def test_the_search_page_notes_a_date_beyond_the_span(http: TestClient) -> None:
    page = http.get("/search", params={"q": "alpha", "until": "9999-12-31"})
    assert page.status_code == 200
    assert "9999-12-31 is out of range" in page.text and "The until date was ignored" in page.text


def test_the_search_page_uses_as_many_categories_as_the_api(http: TestClient) -> None:
    many = " ".join(f"cs.X{i}" for i in range(600))
    page = http.get("/search", params={"cat": many})
    assert page.status_code == 200 and "first 32 of 600 categories" in page.text
    api = http.get("/api/search", params=[("cat", f"cs.X{i}") for i in range(33)])
    assert api.status_code == 422 and "at most 32" in api.json()["error"]
