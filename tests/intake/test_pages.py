"""``/admin/sources`` (admins only: state, errors with their URL, "run now" that the worker's intake
job picks up) and the empty day page that says why (a weekend, an arXiv holiday, no harvest yet),
on both databases; the worker's ``intake`` job harvests due sources and brings the search index up
to date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperwire import worker
from paperwire.config import Settings, load_settings
from paperwire.db.engine import dispose_engines, session_scope
from paperwire.db.models import IntakeSource, Paper
from paperwire.intake import harvest
from paperwire.intake.sources import configs
from paperwire.search import index
from paperwire.web.app import create_app
from tests.conftest import TEST_SECRET
from tests.intake.replay import HfEndpoint
from tests.recording import ALLOW_LOCAL
from tests.web.members import PASSWORD, add_member, csrf_token


def _settings(
    database_url: str, tmp_path: Path, server_url: str, since: str = "2026-05-01"
) -> Settings:
    config = tmp_path / "paperwire.toml"
    config.write_text(
        "[[sources]]\n"
        f'name = "hf-daily"\nkind = "hf"\nbase_url = "{server_url}"\nsince = "{since}"\n'
        'min_interval = "0s"\nlist = "all"\nevery = "6h"\n'
        "[[sources]]\n"
        f'name = "broken"\nkind = "hf"\nbase_url = "{server_url}/gone"\nsince = "{since}"\n'
        'min_interval = "0s"\nretries = 0\n'
    )
    return load_settings(
        {
            "PAPERWIRE_HOME": str(tmp_path / "home"),
            "PAPERWIRE_DATABASE_URL": database_url,
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
            "PAPERWIRE_CONFIG": str(config),
            **ALLOW_LOCAL,
        }
    )


@pytest.fixture
def admin(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    shared_data: Path,
) -> Iterator[tuple[TestClient, Settings]]:
    recording_server.route("/api/daily_papers", HfEndpoint(shared_data, reply))
    settings = _settings(database_url, tmp_path, recording_server.url)
    add_member(engine, "ada", role="admin")
    with TestClient(create_app(settings), raise_server_exceptions=False) as http:
        yield http, settings
    dispose_engines()


def _sign_in(http: TestClient) -> None:
    token = csrf_token(http.get("/login").text)
    answer = http.post(
        "/login",
        data={"username": "ada", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_admin_sources_page_and_run_now(
    admin: tuple[TestClient, Settings], engine: Engine, recording_server: Any
) -> None:
    http, settings = admin
    assert http.get("/admin/sources", follow_redirects=False).status_code in (303, 401, 403)
    harvest.run_sources(settings, engine, configs(settings, engine), today=date(2026, 5, 1))
    _sign_in(http)
    page = http.get("/admin/sources")
    assert page.status_code == 200
    text = page.text
    assert "hf-daily" in text and "every 6h" in text and "2026-05-01" in text
    assert "HTTP 404" in text and f"URL: {recording_server.url}/gone/api/daily_papers" in text
    token = csrf_token(text)
    answer = http.post(
        "/admin/sources/broken/run", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    with session_scope(engine) as session:
        row = session.get(IntakeSource, "broken")
        assert row is not None and row.run_requested_at is not None
    assert "requested" in http.get("/admin/sources").text
    # The worker's round runs only what is due: the requested source, not hf-daily (6 h away).
    reports = harvest.run_due(settings, engine, today=date(2026, 5, 1))
    assert [r.source for r in reports] == ["broken"]


def test_an_empty_day_says_why(admin: tuple[TestClient, Settings], engine: Engine) -> None:
    http, settings = admin
    saturday = http.get("/papers/date/2026-05-02")
    assert "arXiv announces nothing on Saturdays and Sundays" in saturday.text
    # The Friday after Thanksgiving: its list would be Thursday evening's announcement.
    holiday = http.get("/papers/date/2025-11-28")
    assert "arXiv announces nothing on Thanksgiving Day (Thursday 27 November 2025" in holiday.text
    before = http.get("/papers/date/2026-04-29")
    assert "No source has been harvested yet" in before.text
    harvest.run_sources(settings, engine, configs(settings, engine)[1:], today=date(2026, 5, 1))
    later = http.get("/papers/date/2026-05-05")
    assert "No source has been harvested since" in later.text and "next run at" in later.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_worker_intake_job_harvests_then_indexes(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    shared_data: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The worker harvests up to the real today: the recorded list of 2026-05-01 stands in for it.
    today = datetime.now(UTC).date().isoformat()
    recorded = (shared_data / "hf_daily_papers" / "daily_papers_2026-05-01.json").read_bytes()

    def todays_list(_path: str, query: dict[str, list[str]]) -> Any:
        body = recorded if query["date"] == [today] and query["p"] == ["0"] else b"[]"
        return reply(200, body, {"Content-Type": "application/json"})

    recording_server.route("/api/daily_papers", todays_list)
    settings = _settings(database_url, tmp_path, recording_server.url, since=today)
    synced: list[int] = []

    def keyword_sync(settings: Settings, engine: Engine) -> str:
        # The index job as the worker runs it, without the embeddings (tests/search covers them):
        # on a busy two-core machine the model alone takes longer than this whole file should.
        report = index.sync(settings, engine, embed=False)
        synced.append(report.added)
        return report.summary()

    monkeypatch.setattr(worker, "_index", keyword_sync)
    lines: list[str] = []
    with pytest.raises(Exception, match="broken"):  # one source failed: the job says so
        worker.run_due(settings, engine, lines.append, {"intake"})
    # The sources run by name: the broken one fails, hf-daily still harvests.
    assert any(
        line.startswith("intake: failed: broken:") and "; hf-daily: 16 added" in line
        for line in lines
    ), lines
    with session_scope(engine) as session:
        assert len(session.scalars(select(Paper.id)).all()) == 16
    lexical = index.open_lexical(settings)
    try:
        assert lexical.size() == 16 and synced == [16]
    finally:
        lexical.close()
